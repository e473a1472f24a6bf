// What is right and what is wrong: personas build their answers from the truth (a right answer is one of the right
// answers, a wrong one contains none of them), and these checks keep them honest, answers made of symbols only
// ("==", "%") included, which a comparison of words alone would read as empty.

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

/** Whether `phrase` appears in `text` as whole words; a phrase of symbols only, as it is written (case aside). */
export function containsWords(text: string, phrase: string): boolean {
  const wanted = plainWords(phrase);
  if (wanted.length === 0) return phrase.trim().length > 0 && text.toLowerCase().includes(phrase.trim().toLowerCase());
  return ` ${plainWords(text)} `.includes(` ${wanted} `);
}

/**
 * Whether two answers overlap: one holds the other, even as part of a word (a grader reading "int" in "print" would
 * take one for the other), or, for symbols, as written.
 */
export function overlaps(a: string, b: string): boolean {
  const [plainA, plainB] = [plainWords(a), plainWords(b)];
  if (plainA.length === 0 || plainB.length === 0) {
    const [rawA, rawB] = [a.trim().toLowerCase(), b.trim().toLowerCase()];
    return rawA.length > 0 && rawB.length > 0 && (rawA.includes(rawB) || rawB.includes(rawA));
  }
  return plainA.includes(plainB) || plainB.includes(plainA);
}

/** Every answer that counts as right: the expected answer and the accepted ones. */
export function rightAnswers(question: QuestionTruth): string[] {
  return [...new Set([question.expectedAnswer, ...question.acceptedAnswers].map((answer) => answer.trim()).filter(Boolean))];
}

/** Whether the text gives a right answer to the question: it contains one of them as whole words. */
export function givesRightAnswer(text: string, question: QuestionTruth): boolean {
  return rightAnswers(question).some((answer) => containsWords(text, answer));
}
