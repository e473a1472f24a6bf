// What is right and what is wrong, by construction: the harness's own reading of answers, independent of the
// service's matcher, so that a mistake in one is not hidden by the same mistake in the other.

/** A question the service recorded, with what makes an answer to it right. */
export interface QuestionTruth {
  id: number;
  question: string;
  expectedAnswer: string;
  /** A bank question's answers that count as correct; empty for a question the model wrote. */
  acceptedAnswers: string[];
}

/** Lower case, without accents or punctuation, words separated by one space. */
export function plainWords(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .join(' ');
}

/** Whether `phrase` appears in `text` as whole words. */
export function containsWords(text: string, phrase: string): boolean {
  const wanted = plainWords(phrase);
  return wanted.length > 0 && ` ${plainWords(text)} `.includes(` ${wanted} `);
}

/** Every answer that counts as right: the expected answer and the accepted ones. */
export function rightAnswers(question: QuestionTruth): string[] {
  return [...new Set([question.expectedAnswer, ...question.acceptedAnswers].map((answer) => answer.trim()).filter(Boolean))];
}

/** Whether the text gives a right answer to the question: it contains one of them as whole words. */
export function givesRightAnswer(text: string, question: QuestionTruth): boolean {
  return rightAnswers(question).some((answer) => containsWords(text, answer));
}
