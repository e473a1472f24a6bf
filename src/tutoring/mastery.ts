import type { MasteryParams, Objective } from '../curriculum/curriculum.js';

/**
 * Bayesian Knowledge Tracing (Corbett and Anderson, 1995), as adaptive tutors such as OATutor keep it for each skill:
 * the probability that a learner knows an objective, updated at each graded answer to a question that checks it.
 * The defaults suit short topics: a learner starts at 0.3, two right answers in a row take them past 0.8, and a
 * wrong answer after them takes them back below it.
 */
export const defaultMasteryParams: MasteryParams = { prior: 0.3, learn: 0.15, slip: 0.1, guess: 0.2 };

/** The topic's parameters: its own where the catalog gives them, the defaults otherwise. */
export function masteryParams(topic: Partial<MasteryParams> | null | undefined): MasteryParams {
  return { ...defaultMasteryParams, ...topic };
}

/**
 * The probability that the learner knows the objective after an answer: the posterior given the answer (Bayes, with
 * slip and guess), then the chance of learning it at this step.
 */
export function updateMastery(known: number, correct: boolean, { learn, slip, guess }: MasteryParams): number {
  const posterior = correct
    ? (known * (1 - slip)) / (known * (1 - slip) + (1 - known) * guess)
    : (known * slip) / (known * slip + (1 - known) * (1 - guess));
  return posterior + (1 - posterior) * learn;
}

/** A learner's standing on one objective. */
export interface ObjectiveMastery {
  objective: Objective;
  /** The probability that they know it; the prior before any answer. */
  probability: number;
  attempts: number;
  correct: number;
}

export interface MasteryRecord {
  objectiveId: string;
  probability: number;
  attempts: number;
  correct: number;
}

/** Each objective of the topic with the learner's mastery of it, in the topic's order. */
export function objectiveStanding(objectives: readonly Objective[], records: readonly MasteryRecord[], params: MasteryParams): ObjectiveMastery[] {
  return objectives.map((objective) => {
    const record = records.find((candidate) => candidate.objectiveId === objective.id);
    return { objective, probability: record?.probability ?? params.prior, attempts: record?.attempts ?? 0, correct: record?.correct ?? 0 };
  });
}

/** The standing after a graded answer to a question checking `objectiveId`; unchanged for an objective the topic lacks. */
export function afterAnswer(standing: readonly ObjectiveMastery[], objectiveId: string, correct: boolean, params: MasteryParams): ObjectiveMastery[] {
  return standing.map((entry) =>
    entry.objective.id === objectiveId
      ? { ...entry, probability: updateMastery(entry.probability, correct, params), attempts: entry.attempts + 1, correct: entry.correct + (correct ? 1 : 0) }
      : entry,
  );
}

/** The objective to ask about next: the least mastered, the first in the topic's order among equals. */
export function weakestObjective(standing: readonly ObjectiveMastery[]): Objective | undefined {
  let weakest: ObjectiveMastery | undefined;
  for (const entry of standing) if (!weakest || entry.probability < weakest.probability) weakest = entry;
  return weakest?.objective;
}

/** Whether every objective is mastered at the threshold; true without a threshold (the gate is off). */
export function meetsMasteryGate(standing: readonly ObjectiveMastery[], threshold: number | undefined): boolean {
  return threshold === undefined || standing.every((entry) => entry.probability >= threshold);
}
