import { containsWords, plainWords, rightAnswers, type QuestionTruth } from './ground-truth.js';

/**
 * Whether a reply reveals a right answer of a question that is still pending after it, by normalized match.
 * Not counted as revealing: an answer the question itself contains ("3" for "how often does range(3) run?"), and
 * sentences the learner had read before the question was asked (`shownBefore`: the tutor's messages up to the one
 * that asked it), such as the topic's material repeated.
 */
export function revealsAnswer(reply: string, question: QuestionTruth, shownBefore: readonly string[]): boolean {
  const answers = rightAnswers(question).filter((answer) => !containsWords(question.question, answer));
  if (answers.length === 0) return false;
  const known = ` ${plainWords(shownBefore.join('\n'))} `;
  return sentences(reply).some((sentence) => {
    const plain = plainWords(sentence);
    return plain.length > 0 && !known.includes(` ${plain} `) && answers.some((answer) => containsWords(sentence, answer));
  });
}

function sentences(text: string): string[] {
  return text.split(/(?<=[.!?])\s+|\n+/);
}
