import { describe, expect, it } from 'vitest';
import type { BankQuestion } from '../../src/curriculum/curriculum.js';
import { objectivesFromText } from '../../src/curriculum/objectives.js';
import {
  afterAnswer,
  defaultMasteryParams,
  masteryParams,
  meetsMasteryGate,
  objectiveStanding,
  updateMastery,
  weakestObjective,
} from '../../src/tutoring/mastery.js';
import { questionFor } from '../../src/tutoring/questions.js';

describe('Bayesian Knowledge Tracing', () => {
  it('updates against hand-computed values', () => {
    // Right at 0.3: posterior 0.3·0.9 / (0.3·0.9 + 0.7·0.2) = 0.27 / 0.41 = 0.658537; then + (1 − 0.658537)·0.15.
    expect(updateMastery(0.3, true, defaultMasteryParams)).toBeCloseTo(0.709756, 6);
    // Wrong at 0.3: posterior 0.3·0.1 / (0.3·0.1 + 0.7·0.8) = 0.03 / 0.59 = 0.050847; then + (1 − 0.050847)·0.15.
    expect(updateMastery(0.3, false, defaultMasteryParams)).toBeCloseTo(0.193220, 6);
    // Two right answers in a row pass 0.8; a wrong one then takes the learner back below it.
    const twice = updateMastery(updateMastery(0.3, true, defaultMasteryParams), true, defaultMasteryParams);
    expect(twice).toBeCloseTo(0.929191, 5);
    expect(updateMastery(twice, false, defaultMasteryParams)).toBeCloseTo(0.678070, 5);
  });

  it('takes a topic’s own parameters over the defaults', () => {
    const params = masteryParams({ guess: 0.5, learn: 0 });
    expect(params).toEqual({ prior: 0.3, learn: 0, slip: 0.1, guess: 0.5 });
    // 0.3·0.9 / (0.27 + 0.7·0.5) = 0.27 / 0.62, and nothing learnt.
    expect(updateMastery(0.3, true, params)).toBeCloseTo(0.435484, 6);
  });
});

const objectives = [
  { id: 'types', text: 'Name a data type' },
  { id: 'assignment', text: 'Predict an assignment' },
];

describe('question choice and the gate', () => {
  it('targets the weakest objective, the first in order among equals, and the bank picks from it', () => {
    const fresh = objectiveStanding(objectives, [], defaultMasteryParams);
    expect(fresh.map((entry) => entry.probability)).toEqual([0.3, 0.3]);
    expect(weakestObjective(fresh)?.id).toBe('types');
    const afterRight = afterAnswer(fresh, 'types', true, defaultMasteryParams);
    expect(afterRight[0]).toMatchObject({ attempts: 1, correct: 1 });
    expect(weakestObjective(afterRight)?.id).toBe('assignment');

    const bank: BankQuestion[] = [
      { question: 'Type of 42?', answers: ['int'], hint: 'h', objective: 'types' },
      { question: 'x after x = x + 2?', answers: ['7'], hint: 'h', objective: 'assignment' },
      { question: 'Type of "hi"?', answers: ['str'], hint: 'h', objective: 'types' },
    ];
    expect(questionFor(bank, ['Type of 42?'], objectives[1])?.question).toBe('x after x = x + 2?');
    expect(questionFor(bank, ['Type of 42?'], objectives[0])?.question).toBe('Type of "hi"?');
    // Every question of the objective asked: a question never asked comes before one asked again.
    expect(questionFor(bank, ['x after x = x + 2?'], objectives[1])?.question).toBe('Type of 42?');
    expect(questionFor(bank, ['x after x = x + 2?', 'Type of 42?', 'Type of "hi"?'], objectives[1])?.question).toBe('x after x = x + 2?');
    // An objective no bank question checks: the whole bank, in its order.
    expect(questionFor(bank, [], { id: 'other', text: 'x' })?.question).toBe('Type of 42?');
  });

  it('holds at its edge: every objective at or above the threshold passes, one just below does not', () => {
    const standing = objectiveStanding(objectives, [
      { objectiveId: 'types', probability: 0.8, attempts: 2, correct: 2 },
      { objectiveId: 'assignment', probability: 0.8, attempts: 2, correct: 2 },
    ], defaultMasteryParams);
    expect(meetsMasteryGate(standing, 0.8)).toBe(true);
    expect(meetsMasteryGate(standing, 0.8000001)).toBe(false);
    expect(meetsMasteryGate(standing, undefined)).toBe(true);
    expect(meetsMasteryGate(objectiveStanding(objectives, [], defaultMasteryParams), undefined)).toBe(true);
  });
});

describe('objectives from the learning objectives string', () => {
  it('split on line breaks and semicolons, bullets dropped, numbered in order', () => {
    expect(objectivesFromText('Understand variables; use types\n- Assign values\n2) Read code')).toEqual([
      { id: '1', text: 'Understand variables' },
      { id: '2', text: 'use types' },
      { id: '3', text: 'Assign values' },
      { id: '4', text: 'Read code' },
    ]);
    expect(objectivesFromText('')).toEqual([]);
  });
});
