import type { BankQuestion, Objective } from '../curriculum/curriculum.js';
import type { TokenUsage } from '../llm/llm.js';
import { normalizeAnswer } from './answers.js';
import { createReplyFilter } from './reply-filter.js';
import type { AskedQuestion, QuestionFacts, ReplyEvent, TurnFacts } from './tutor-engine.js';

export interface CollectedReply {
  text: string;
  question?: AskedQuestion;
  usage: TokenUsage;
  finishReason: string;
  /** Whether the model wrote the completion marker (it is removed from `text`). */
  markerSeen: boolean;
  /**
   * Set when the model produced no text and the service wrote the reply: the question it asked (`question`), or a
   * fallback when it asked none (`empty`, `blocked`).
   */
  fallback?: 'question' | 'empty' | 'blocked';
}

const blockedReasons = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'content-filter']);

/**
 * Reads a reply's events: text goes to `onText` as it arrives, without completion markers or service notes (the
 * reply filter), and the returned text is exactly what was passed to `onText`. A reply with no text gets the
 * question it asked, or a fallback when it asked none (a safety block, an empty answer), passed to `onText` too, so
 * a streamed turn and a stored turn never differ.
 */
export async function collectReply(
  events: AsyncIterable<ReplyEvent>,
  context: { marker: string; turn: TurnFacts; onText?: (text: string) => void },
): Promise<CollectedReply> {
  const filter = createReplyFilter(context.marker);
  let text = '';
  const emit = (piece: string) => {
    if (!piece) return;
    text += piece;
    context.onText?.(piece);
  };
  let question: AskedQuestion | undefined;
  let usage: TokenUsage = { promptTokens: 0, outputTokens: 0, cachedTokens: 0 };
  let finishReason = 'unknown';
  for await (const event of events) {
    if (event.type === 'text') emit(filter.push(event.text));
    else if (event.type === 'question') question = event.question;
    else ({ usage, finishReason } = event);
  }
  emit(filter.flush());

  const reply: CollectedReply = { text, question, usage, finishReason, markerSeen: filter.markerSeen };
  if (text.trim() === '') {
    // A model that only called ask_question still asked its question: the learner reads it.
    reply.fallback = question ? 'question' : blockedReasons.has(finishReason) ? 'blocked' : 'empty';
    emit(fallbackText(context.turn, question));
    reply.text = text;
  }
  return reply;
}

/**
 * The reply the service writes when the model wrote none: the grade it made and the completion it decided, as the
 * learner must learn them, then the question the model asked, or the one still pending.
 */
function fallbackText(turn: TurnFacts, asked: AskedQuestion | undefined): string {
  const title = `"${turn.topic.title}"`;
  if (turn.kind === 'answer' && turn.grade) {
    const verdict = `${turn.grade.correct ? 'Correct!' : 'Not quite.'} ${turn.grade.feedback}`.trim();
    if (turn.progress.passed) return `${verdict} You have completed ${title}. Well done!`;
    return asked ? `${verdict}\n\n${asked.question}` : `${verdict} Let's get back to ${title}.`;
  }
  if (asked) return asked.question;
  // A question the learner has not answered yet is still theirs to answer.
  const pending = turn.kind === 'hint' || turn.kind === 'question' ? turn.pendingQuestion : undefined;
  const back = `Let's get back to ${title}.`;
  return pending ? `I can't answer that one, sorry. ${back} ${pending.question}` : `I can't answer that one, sorry. ${back}`;
}

/**
 * A question the model asked, with what the service knows of it when it is a bank question: the bank's answers
 * (the first is its expected answer) and hint.
 */
export function withBankDetails(question: AskedQuestion, topic: { questions: readonly BankQuestion[]; objectives: readonly Objective[] }): QuestionFacts {
  const asked = normalizeAnswer(question.question);
  const match = topic.questions.find((candidate) => normalizeAnswer(candidate.question) === asked);
  // The objective it checks: the bank's, else the model's when the topic has it, else the topic's only one.
  const named = topic.objectives.some((objective) => objective.id === question.objective) ? question.objective : undefined;
  const objective = match?.objective ?? named ?? (topic.objectives.length === 1 ? topic.objectives[0]!.id : null);
  if (!match) return { ...question, objective, acceptedAnswers: [], hint: null };
  return { ...question, expectedAnswer: match.answers[0] ?? question.expectedAnswer, acceptedAnswers: match.answers, hint: match.hint, objective };
}
