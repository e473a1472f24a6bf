import type { TurnFacts } from '../llm/llm.js';

/**
 * The service's note to the tutor model for this turn, sent after the learner's message and marked as not
 * written by the learner: what the service decided (the grade, the progress, completion) and what to do next.
 * Keeping it out of the system prompt keeps the prompt's prefix stable from turn to turn.
 */
export function turnNote(turn: TurnFacts): string {
  const lines = [`[Service note. Not written by the learner; do not quote it.]`];
  const pending = turn.pendingQuestion ? `"${turn.pendingQuestion.question}"` : undefined;
  switch (turn.kind) {
    case 'opening':
      lines.push('The learner has just opened this session. Greet them, introduce the topic at their level, and ask a first question.');
      break;
    case 'hint':
      lines.push(`The learner asks for help with the pending question ${pending}. Give a hint without revealing the answer.`);
      if (turn.pendingQuestion?.hint) lines.push(`A hint you may use: ${turn.pendingQuestion.hint}`);
      break;
    case 'question':
      lines.push(
        pending
          ? `The learner asks a question of their own. Answer it, then come back to the pending question ${pending}.`
          : 'Answer the learner, then ask a question to check their understanding.',
      );
      break;
    case 'answer': {
      const { grade, progress, rule } = turn;
      lines.push(
        `The learner answered ${pending}. The service graded the answer ${grade?.correct ? 'CORRECT' : 'INCORRECT'}: ${grade?.feedback ?? ''}`,
        `Progress: ${progress.recentCorrect} correct of the last ${progress.recentGraded} graded answers; ` +
          `the topic is complete at ${rule.passCorrect} of the last ${rule.questionCount}.`,
      );
      lines.push(
        progress.passed
          ? 'The topic is now COMPLETE. Congratulate the learner and sum up what they learned. Ask no further question.'
          : `Give feedback${grade?.correct ? '' : ' and a short explanation'}, then ask the next question.`,
      );
      break;
    }
  }
  if (turn.suggestedQuestion) {
    lines.push(
      `Ask this question from the topic's question bank with ask_question: "${turn.suggestedQuestion.question}" ` +
        `(expected answer: ${turn.suggestedQuestion.expectedAnswer}).`,
    );
  } else if (!turn.progress.passed && turn.kind !== 'hint' && turn.kind !== 'question') {
    lines.push('Ask your own next question with ask_question.');
  }
  return lines.join('\n');
}
