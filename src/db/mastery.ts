import { and, asc, eq, sql, type SQL } from 'drizzle-orm';
import type { MasteryParams } from '../curriculum/curriculum.js';
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

/**
 * Records a graded answer to a question that checks the objective, in the turn's transaction: the learner's mastery
 * updated by Bayesian Knowledge Tracing from the value stored now (the prior for a first answer), in one statement,
 * so that two sessions of the learner answering at once both count. Returns the stored record.
 */
export async function recordMasteryAnswer(
  tx: Db,
  where: { userId: number; courseId: number; topicId: number; objectiveId: string },
  correct: boolean,
  params: MasteryParams,
): Promise<MasteryRecord> {
  const float = (value: number) => sql`${value}::float8`;
  // updateMastery (src/tutoring/mastery.ts), in SQL.
  const updated = (known: SQL) => {
    const [hit, miss] = correct ? [float(1 - params.slip), float(params.guess)] : [float(params.slip), float(1 - params.guess)];
    const posterior = sql`((${known}) * ${hit} / ((${known}) * ${hit} + (1 - (${known})) * ${miss}))`;
    return sql`(${posterior} + (1 - ${posterior}) * ${float(params.learn)})`;
  };
  const [row] = await tx
    .insert(objectiveMastery)
    .values({ ...where, probability: updated(float(params.prior)), attempts: 1, correct: correct ? 1 : 0, updatedAt: sql`now()` })
    .onConflictDoUpdate({
      target: [objectiveMastery.userId, objectiveMastery.topicId, objectiveMastery.objectiveId],
      set: {
        probability: updated(sql`${objectiveMastery.probability}`),
        attempts: sql`${objectiveMastery.attempts} + 1`,
        correct: sql`${objectiveMastery.correct} + ${correct ? 1 : 0}`,
        courseId: where.courseId,
        updatedAt: sql`now()`,
      },
    })
    .returning({ objectiveId: objectiveMastery.objectiveId, probability: objectiveMastery.probability, attempts: objectiveMastery.attempts, correct: objectiveMastery.correct });
  return row!;
}
