import { describe, expect, it } from 'vitest';
import { assessProgress } from '../../src/tutoring/completion.js';

const twoOfThree = { passCorrect: 2, questionCount: 3 };

describe('assessProgress (the pass rule)', () => {
  it.each([
    { grades: [], passed: false },
    { grades: [true], passed: false },
    { grades: [true, true], passed: true },
    { grades: [false, true], passed: false },
    { grades: [true, false, true], passed: true },
    { grades: [false, false, true], passed: false },
    { grades: [false, true, true], passed: true },
    // Only the last three count: two early correct answers no longer pass once two wrong ones follow.
    { grades: [true, true, false, false], passed: false },
    { grades: [true, false, false, true], passed: false },
    { grades: [true, false, false, true, true], passed: true },
  ])('$grades → passed: $passed', ({ grades, passed }) => {
    expect(assessProgress(grades, twoOfThree).passed).toBe(passed);
  });

  it('reports the window the rule looked at', () => {
    expect(assessProgress([true, false, false, true], twoOfThree)).toEqual({
      graded: 4,
      correct: 2,
      recentGraded: 3,
      recentCorrect: 1,
      passed: false,
    });
  });

  it('follows other rules: 3 of 5, and 1 of 1', () => {
    expect(assessProgress([true, false, true, false, false], { passCorrect: 3, questionCount: 5 }).passed).toBe(false);
    expect(assessProgress([true, false, true, false, true], { passCorrect: 3, questionCount: 5 }).passed).toBe(true);
    expect(assessProgress([false], { passCorrect: 1, questionCount: 1 }).passed).toBe(false);
    expect(assessProgress([false, true], { passCorrect: 1, questionCount: 1 }).passed).toBe(true);
  });
});
