import { matchesAcceptedAnswer } from './answers.js';
import type { QuestionFacts, ReplyEvent, ReplyRequest, TurnFacts, TutorEngine } from './tutor-engine.js';

/**
 * A deterministic tutor that needs no network and no key: it teaches from the topic's material and
 * question bank, following the service's decisions for each turn. It is the default so that the service runs and
 * is testable anywhere; it says so in /api/health (provider "offline") and at start-up.
 */
export function createOfflineTutor(): TutorEngine {
  return {
    provider: 'offline',
    model: 'offline-tutor',
    graderModel: 'offline-tutor',
    usesModel: false,
    reply: (request) => replyEvents(request),
    async grade(question, answer) {
      if (matchesAcceptedAnswer(answer, question.acceptedAnswers)) {
        return { correct: true, feedback: `Yes, ${quote(question.expectedAnswer)} is right.` };
      }
      const hint = question.hint ? ` ${question.hint}` : '';
      return { correct: false, feedback: `The answer I was looking for is ${quote(question.expectedAnswer)}.${hint}` };
    },
  };
}

async function* replyEvents({ turn }: ReplyRequest): AsyncGenerator<ReplyEvent> {
  // It follows the service's decisions in `turn`; the conversation and the prompt are for model tutors.
  const paragraphs = [...opening(turn), ...response(turn)];
  if (turn.progress.passed && turn.kind === 'answer') paragraphs.push(congratulations(turn));
  if (turn.suggestedQuestion) paragraphs.push(ask(turn.suggestedQuestion, turn.kind === 'opening'));
  else if (turn.pendingQuestion && (turn.kind === 'hint' || turn.kind === 'question')) {
    paragraphs.push(`Now, back to the question: ${turn.pendingQuestion.question}`);
  }
  yield { type: 'text', text: paragraphs.join('\n\n') };
  if (turn.suggestedQuestion) yield { type: 'question', question: turn.suggestedQuestion };
  yield { type: 'finish', usage: { promptTokens: 0, outputTokens: 0, cachedTokens: 0 }, finishReason: 'stop' };
}

function opening(turn: TurnFacts): string[] {
  if (turn.kind !== 'opening') return [];
  const { topic, learner } = turn;
  const background =
    learner.completedTopics.length > 0
      ? `You have already completed ${learner.completedTopics.join(', ')}, so we can build on that.`
      : `We will take it step by step, at a ${learner.level} level.`;
  const care =
    learner.struggles.length > 0 ? ` ${learner.struggles.join(', ')} gave you some trouble before, so ask whenever something is unclear.` : '';
  return [
    `Hi! I'm your tutor for "${topic.title}" in ${topic.courseTitle}. ${background}${care}`,
    topic.explanation?.trim() ?? topic.description,
  ];
}

function response(turn: TurnFacts): string[] {
  switch (turn.kind) {
    case 'opening':
      return [];
    case 'hint':
      return [turn.pendingQuestion?.hint ? `Here's a hint: ${turn.pendingQuestion.hint}` : 'Think about what we just covered.'];
    case 'question':
      return [`Great question! ${turn.topic.explanation?.trim() ?? turn.topic.description}`];
    case 'answer':
      if (!turn.grade) return [];
      return [`${turn.grade.correct ? 'Correct!' : 'Not quite.'} ${turn.grade.feedback}`];
  }
}

function congratulations(turn: TurnFacts): string {
  const { recentCorrect, recentGraded } = turn.progress;
  return `That makes ${recentCorrect} correct of your last ${recentGraded} answers: you have completed "${turn.topic.title}". Well done!`;
}

function ask(question: QuestionFacts, first: boolean): string {
  return `${first ? "Let's check your understanding." : 'Next question:'} ${question.question}`;
}

function quote(text: string): string {
  return `"${text}"`;
}
