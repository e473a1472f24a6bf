import { and, eq, sql } from 'drizzle-orm';
import type { TopicRecord } from '../tutoring/next-topic.js';
import type { Db } from './client.js';
import { assessments, chatSessions, topicCompletions } from './schema.js';

/**
 * What the learner has done in each topic of the course: when they first completed it (their progress, kept when
 * retention purges sessions), when each session of theirs started and whether they answered in it, their wrong
 * answers. Every read is limited to the learner's own rows.
 */
export async function learningRecord(db: Db, userId: number, courseId: number): Promise<TopicRecord[]> {
  const perSession = db
    .select({
      topicId: chatSessions.topicId,
      startedAt: chatSessions.startedAt,
      graded: sql<number>`count(*) filter (where ${assessments.status} = 'graded')`.as('graded'),
      wrong: sql<number>`count(*) filter (where ${assessments.correct} = false)`.as('wrong'),
    })
    .from(chatSessions)
    .leftJoin(assessments, eq(assessments.sessionId, chatSessions.id))
    .where(and(eq(chatSessions.userId, userId), eq(chatSessions.courseId, courseId)))
    .groupBy(chatSessions.id)
    .as('per_session');
  // Milliseconds since the epoch, as float8: both drivers read those (and their arrays) as numbers.
  const epochMs = (column: unknown) => sql`(extract(epoch from ${column}) * 1000)::float8`;
  const [sessions, completions] = await Promise.all([
    db
      .select({
        topicId: perSession.topicId,
        sessionStarts: sql<number[]>`array_agg(${epochMs(perSession.startedAt)} order by ${perSession.startedAt})`,
        answeredStarts: sql<number[] | null>`array_agg(${epochMs(perSession.startedAt)} order by ${perSession.startedAt}) filter (where ${perSession.graded} > 0)`,
        wrongAnswers: sql<number>`coalesce(sum(${perSession.wrong}), 0)::int`,
      })
      .from(perSession)
      .groupBy(perSession.topicId),
    db
      .select({ topicId: topicCompletions.topicId, completedAt: sql<number>`${epochMs(sql`min(${topicCompletions.completedAt})`)}` })
      .from(topicCompletions)
      .where(and(eq(topicCompletions.userId, userId), eq(topicCompletions.courseId, courseId)))
      .groupBy(topicCompletions.topicId),
  ]);
  const topics = new Set([...sessions.map((row) => row.topicId), ...completions.map((row) => row.topicId)]);
  return [...topics].map((topicId) => {
    const row = sessions.find((candidate) => candidate.topicId === topicId);
    const completedAt = completions.find((candidate) => candidate.topicId === topicId)?.completedAt;
    return {
      topicId,
      completedAt: completedAt === undefined ? null : new Date(completedAt),
      sessionStarts: (row?.sessionStarts ?? []).map((ms) => new Date(ms)),
      answeredStarts: (row?.answeredStarts ?? []).map((ms) => new Date(ms)),
      wrongAnswers: row?.wrongAnswers ?? 0,
    };
  });
}
