import { containsWords, plainWords, rightAnswers, type QuestionTruth } from './ground-truth.js';

// A sentence of this many words or more, read before the question was asked, is the topic's material repeated; a
// shorter one ("str.", "It is 7.") says no more than its answer, and is never excused.
const materialWords = 5;

/**
 * Whether a reply reveals a right answer of a question that is still pending after it, by normalized whole-word
 * match. Not counted as revealing: an answer the question itself contains ("3" for "how often does range(3) run?"),
 * and a sentence of five words or more that the learner had read before the question was asked (`shownBefore`: the
 * tutor's messages up to the one that asked it, such as the topic's material repeated).
 */
export function revealsAnswer(reply: string, question: QuestionTruth, shownBefore: readonly string[]): boolean {
  const answers = rightAnswers(question).filter((answer) => !containsWords(question.question, answer));
  if (answers.length === 0) return false;
  const known = ` ${plainWords(shownBefore.join('\n'))} `;
  return sentences(reply).some((sentence) => {
    const plain = plainWords(sentence);
    const repeated = plain.split(' ').length >= materialWords && known.includes(` ${plain} `);
    return !repeated && answers.some((answer) => containsWords(sentence, answer));
  });
}

/**
 * Whether the reply that asks a question gives its answer away with it: in what follows the question (a "hint" that is
 * the answer), or, when the question is not found word for word, in the reply's last paragraph. What comes before the
 * question is the teaching it checks.
 */
export function revealsAnswerWhenAsking(reply: string, question: QuestionTruth): boolean {
  const at = reply.indexOf(question.question.trim());
  const after = at >= 0 ? reply.slice(at + question.question.trim().length) : (reply.trim().split(/\n\s*\n/).at(-1) ?? '');
  const answers = rightAnswers(question).filter((answer) => !containsWords(question.question, answer));
  return answers.some((answer) => containsWords(after.replace(question.question, ''), answer));
}

function sentences(text: string): string[] {
  return text.split(/(?<=[.!?])\s+|\n+/);
}
