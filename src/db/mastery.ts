import { and, asc, eq, sql } from 'drizzle-orm';
import type { MasteryRecord } from '../tutoring/mastery.js';
import type { Db } from './client.js';
import { objectiveMastery } from './schema.js';

const record = {
  topicId: objectiveMastery.topicId,
  objectiveId: objectiveMastery.objectiveId,
  probability: objectiveMastery.probability,
  attempts: objectiveMastery.attempts,
  correct: objectiveMastery.correct,
  updatedAt: objectiveMastery.updatedAt,
};

/** The learner's mastery records of one topic's objectives. */
export async function topicMastery(db: Db, userId: number, topicId: number): Promise<MasteryRecord[]> {
  return db
    .select(record)
    .from(objectiveMastery)
    .where(and(eq(objectiveMastery.userId, userId), eq(objectiveMastery.topicId, topicId)));
}

/** The learner's mastery records in a course, by topic. */
export async function courseMastery(db: Db, userId: number, courseId: number): Promise<(MasteryRecord & { topicId: number; updatedAt: Date })[]> {
  return db
    .select(record)
    .from(objectiveMastery)
    .where(and(eq(objectiveMastery.userId, userId), eq(objectiveMastery.courseId, courseId)))
    .orderBy(asc(objectiveMastery.topicId), asc(objectiveMastery.objectiveId));
}

/** Writes the learner's mastery of one objective, in the turn's transaction. */
export async function saveMastery(tx: Db, where: { userId: number; courseId: number; topicId: number }, mastery: MasteryRecord): Promise<void> {
  const values = { ...where, ...mastery, updatedAt: sql`now()` };
  await tx
    .insert(objectiveMastery)
    .values(values)
    .onConflictDoUpdate({
      target: [objectiveMastery.userId, objectiveMastery.topicId, objectiveMastery.objectiveId],
      set: { probability: mastery.probability, attempts: mastery.attempts, correct: mastery.correct, updatedAt: sql`now()` },
    });
}
