import { and, count, eq, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { assessments, chatSessions, sessionContexts, topicCompletions } from './schema.js';
import type { TopicCompletion } from '../curriculum/curriculum.js';

export async function completedTopicIds(db: Db, userId: number): Promise<number[]> {
  const rows = await db
    .select({ topicId: topicCompletions.topicId })
    .from(topicCompletions)
    .where(eq(topicCompletions.userId, userId))
    .orderBy(topicCompletions.completedAt);
  return rows.map((row) => row.topicId);
}

/** Titles of topics in which the learner gave at least `minMistakes` wrong answers, most mistakes first. */
export async function struggledTopicTitles(db: Db, userId: number, minMistakes: number): Promise<string[]> {
  const mistakes = count();
  const rows = await db
    .select({ title: sessionContexts.topicTitle, mistakes })
    .from(assessments)
    .innerJoin(chatSessions, eq(chatSessions.id, assessments.sessionId))
    .innerJoin(sessionContexts, eq(sessionContexts.sessionId, chatSessions.id))
    .where(and(eq(chatSessions.userId, userId), eq(assessments.correct, false)))
    .groupBy(sessionContexts.topicTitle)
    .having(sql`${mistakes} >= ${minMistakes}`)
    .orderBy(sql`${mistakes} desc`, sessionContexts.topicTitle);
  return rows.map((row) => row.title);
}

/** A topic counts once per learner: passing it again in a later session keeps the first completion. */
export async function insertTopicCompletion(tx: Db, completion: TopicCompletion): Promise<void> {
  await tx.insert(topicCompletions).values(completion).onConflictDoNothing();
}
