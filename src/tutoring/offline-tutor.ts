import { matchesAcceptedAnswer } from './answers.js';
import type { TFunction } from 'i18next';
import { languageName } from '../language.js';
import { offlineMessages } from './offline-messages.js';
import type { ReplyEvent, ReplyRequest, TurnFacts, TutorEngine } from './tutor-engine.js';

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
    // The feedback kept with the grade, for teachers; the learner reads the reply, in the session's language.
    async grade(question, answer) {
      if (matchesAcceptedAnswer(answer, question.acceptedAnswers)) return { correct: true, feedback: `Yes, "${question.expectedAnswer}" is right.` };
      const hint = question.hint ? ` ${question.hint}` : '';
      return { correct: false, feedback: `The answer I was looking for is "${question.expectedAnswer}".${hint}` };
    },
  };
}

async function* replyEvents({ turn }: ReplyRequest): AsyncGenerator<ReplyEvent> {
  // It follows the service's decisions in `turn`; the conversation and the prompt are for model tutors.
  const t = offlineMessages.messagesFor(turn.language);
  const paragraphs = [...opening(turn, t), ...response(turn, t)];
  if (turn.progress.passed && turn.kind === 'answer') {
    paragraphs.push(t('congratulations', { correct: turn.progress.recentCorrect, graded: turn.progress.recentGraded, topic: turn.topic.title }));
  }
  if (turn.suggestedQuestion) paragraphs.push(t(turn.kind === 'opening' ? 'first_question' : 'next_question', { question: turn.suggestedQuestion.question }));
  else if (turn.pendingQuestion && (turn.kind === 'hint' || turn.kind === 'question')) {
    paragraphs.push(t('back_to_question', { question: turn.pendingQuestion.question }));
  }
  yield { type: 'text', text: paragraphs.join('\n\n') };
  if (turn.suggestedQuestion) yield { type: 'question', question: turn.suggestedQuestion };
  yield { type: 'finish', usage: { promptTokens: 0, outputTokens: 0, cachedTokens: 0 }, finishReason: 'stop' };
}

function opening(turn: TurnFacts, t: TFunction): string[] {
  if (turn.kind !== 'opening') return [];
  const { topic, learner } = turn;
  const level = t(`level_${learner.level}`, { defaultValue: learner.level });
  const background =
    learner.completedTopics.length > 0 ? t('background_completed', { topics: learner.completedTopics.join(', ') }) : t('background_new', { level });
  const care = learner.struggles.length > 0 ? ` ${t('struggles', { topics: learner.struggles.join(', ') })}` : '';
  const fallback = offlineMessages.catalogFor(turn.language) ? [] : [t('language_fallback', { language: languageName(turn.language) })];
  return [...fallback, `${t('greeting', { topic: topic.title, course: topic.courseTitle })} ${background}${care}`, topic.explanation?.trim() ?? topic.description];
}

function response(turn: TurnFacts, t: TFunction): string[] {
  switch (turn.kind) {
    case 'opening':
      return [];
    case 'hint':
      return [turn.pendingQuestion?.hint ? t('hint', { hint: turn.pendingQuestion.hint }) : t('hint_none')];
    case 'question':
      return [`${t('question')} ${turn.topic.explanation?.trim() ?? turn.topic.description}`];
    case 'answer': {
      const { grade, pendingQuestion } = turn;
      if (!grade || !pendingQuestion) return [];
      if (grade.correct) return [t('correct', { expected: pendingQuestion.expectedAnswer })];
      return [[t('wrong', { expected: pendingQuestion.expectedAnswer }), pendingQuestion.hint].filter(Boolean).join(' ')];
    }
  }
}
