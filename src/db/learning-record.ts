import { and, eq, sql } from 'drizzle-orm';
import type { TopicRecord } from '../tutoring/next-topic.js';
import type { Db } from './client.js';
import { assessments, chatSessions } from './schema.js';

/** What the learner has done in each topic of the course they have had a session on: completion, sessions, mistakes. */
export async function learningRecord(db: Db, userId: number, courseId: number): Promise<TopicRecord[]> {
  const wrong = db
    .select({ sessionId: assessments.sessionId, n: sql<number>`count(*)::int`.as('n') })
    .from(assessments)
    .where(eq(assessments.correct, false))
    .groupBy(assessments.sessionId)
    .as('wrong');
  const rows = await db
    .select({
      topicId: chatSessions.topicId,
      // Milliseconds since the epoch, as float8: both drivers read those (and their arrays) as numbers.
      completedAt: sql<number | null>`(extract(epoch from min(${chatSessions.completedAt}) filter (where ${chatSessions.status} = 'completed')) * 1000)::float8`,
      sessionStarts: sql<number[]>`array_agg((extract(epoch from ${chatSessions.startedAt}) * 1000)::float8 order by ${chatSessions.startedAt})`,
      wrongAnswers: sql<number>`coalesce(sum(${wrong.n}), 0)::int`,
    })
    .from(chatSessions)
    .leftJoin(wrong, eq(wrong.sessionId, chatSessions.id))
    .where(and(eq(chatSessions.userId, userId), eq(chatSessions.courseId, courseId)))
    .groupBy(chatSessions.topicId);
  return rows.map((row) => ({
    topicId: row.topicId,
    completedAt: row.completedAt === null ? null : new Date(row.completedAt),
    sessionStarts: row.sessionStarts.map((ms) => new Date(ms)),
    wrongAnswers: row.wrongAnswers,
  }));
}
