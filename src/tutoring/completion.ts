export interface PassRule {
  /** How many correct answers pass the topic... */
  passCorrect: number;
  /** ...among this many most recent graded answers. */
  questionCount: number;
  /** With it (MASTERY_THRESHOLD), a topic also needs every objective's mastery at or above it. */
  masteryThreshold?: number;
}

export interface Progress {
  graded: number;
  correct: number;
  /** The last `questionCount` (or fewer, early on) graded answers: the window the rule looks at... */
  recentGraded: number;
  /** ...and how many of them are correct: the figure the rule compares with `passCorrect`. */
  recentCorrect: number;
  passed: boolean;
}

/** Applies the pass rule to grades in the order they were given (oldest first). */
export function assessProgress(grades: readonly boolean[], rule: PassRule): Progress {
  const recent = grades.slice(-rule.questionCount);
  const recentCorrect = recent.filter(Boolean).length;
  return {
    graded: grades.length,
    correct: grades.filter(Boolean).length,
    recentGraded: recent.length,
    recentCorrect,
    passed: recentCorrect >= rule.passCorrect,
  };
}
