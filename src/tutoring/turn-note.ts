import { isEnglish, languageName } from '../language.js';
import type { TurnFacts } from './tutor-engine.js';

/**
 * The service's note to the tutor model for this turn, sent after the learner's message (as a service note, which
 * the learner never sees): what the service decided (the grade, the progress, completion) and what to do next.
 * Keeping it out of the system prompt keeps the prompt's prefix stable from turn to turn. It names no expected
 * answer: the tutor does not need one to ask a question or give a hint, and what it is not sent it cannot repeat.
 */
export function turnNote(turn: TurnFacts, mayAsk: boolean): string {
  const lines: string[] = [];
  const pending = turn.pendingQuestion ? `"${turn.pendingQuestion.question}"` : undefined;
  switch (turn.kind) {
    case 'opening':
      lines.push('The learner has just opened this session. Greet them and introduce the topic at their level.');
      break;
    case 'hint':
      lines.push(`The learner asks for help with the pending question ${pending}. Give a hint without revealing the answer.`);
      if (turn.pendingQuestion?.hint) lines.push(`A hint you may use: ${turn.pendingQuestion.hint}`);
      break;
    case 'question':
      lines.push(pending ? `The learner asks a question of their own. Answer it, then come back to the pending question ${pending}.` : 'Answer the learner.');
      break;
    case 'answer': {
      const { grade, progress, rule } = turn;
      const gate = rule.masteryThreshold === undefined ? '' : ` and every objective mastered (at ${rule.masteryThreshold})`;
      lines.push(
        `The learner answered ${pending}. The service graded the answer ${grade?.correct ? 'CORRECT' : 'INCORRECT'}: ${grade?.feedback ?? ''}`,
        `Progress: ${progress.recentCorrect} correct of the last ${progress.recentGraded} graded answers; ` +
          `the topic is complete at ${rule.passCorrect} of the last ${rule.questionCount}${gate}.`,
        progress.passed
          ? 'The topic is now COMPLETE. Congratulate the learner and sum up what they learned. Ask no further question.'
          : `Give feedback${grade?.correct ? '' : ' and a short explanation'}.`,
      );
      if (!progress.passed && progress.rulePassed) lines.push('Not every objective is mastered yet: the topic is not complete, and the questions go on.');
      break;
    }
  }
  if (mayAsk) {
    // With several objectives, the next question checks the learner's weakest.
    const target = turn.topic.objectives.length > 1 ? turn.targetObjective : undefined;
    if (target) lines.push(`The next question checks the objective "${target.text}" (${target.id}), the learner's weakest: name it in ask_question.`);
    lines.push(
      turn.suggestedQuestion
        ? `Then ask this question from the topic's question bank, and record it with ask_question in the same response: "${turn.suggestedQuestion.question}"`
        : 'Then ask your next question, and record it with ask_question in the same response.',
    );
  }
  if (!isEnglish(turn.language)) lines.push(`Write your reply in ${languageName(turn.language)} (${turn.language}).`);
  return lines.join('\n');
}
