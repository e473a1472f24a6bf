import type { BankQuestion } from '../curriculum/curriculum.js';
import type { AskedQuestion, QuestionFacts, TokenUsage, TurnFacts, TutorEvent } from '../llm/llm.js';
import { normalizeAnswer } from './answers.js';
import { createMarkerFilter } from './marker-filter.js';

export interface CollectedReply {
  text: string;
  question?: AskedQuestion;
  usage: TokenUsage;
  finishReason: string;
  /** Whether the model wrote the completion marker (it is removed from `text`). */
  markerSeen: boolean;
  /** Set when the model produced no text and the service wrote a fallback. */
  fallback?: 'empty' | 'blocked';
}

const blockedReasons = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'content-filter']);

/**
 * Reads a reply's events: text goes to `onText` as it arrives, with the completion marker removed, and the
 * returned text is exactly what was passed to `onText`. A reply with no text (a safety block, an empty answer)
 * gets a fallback, which is passed to `onText` too, so a streamed turn and a stored turn never differ.
 */
export async function collectReply(
  events: AsyncIterable<TutorEvent>,
  context: { marker: string; turn: TurnFacts; onText?: (text: string) => void },
): Promise<CollectedReply> {
  const filter = createMarkerFilter(context.marker);
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

  const reply: CollectedReply = { text, question, usage, finishReason, markerSeen: filter.seen };
  if (text.trim() === '') {
    reply.fallback = blockedReasons.has(finishReason) ? 'blocked' : 'empty';
    emit(fallbackText(context.turn, question));
    reply.text = text;
  }
  return reply;
}

function fallbackText(turn: TurnFacts, question: AskedQuestion | undefined): string {
  // Only a question that is pending after this turn: one just asked, or one the learner has not answered yet.
  const next = question ?? (turn.kind === 'hint' || turn.kind === 'question' ? turn.pendingQuestion : undefined);
  const back = `Let's get back to "${turn.topic.title}".`;
  return next ? `I can't answer that one, sorry. ${back} ${next.question}` : `I can't answer that one, sorry. ${back}`;
}

/** A question the model asked, with the accepted answers and hint of the bank question it is, if it is one. */
export function withBankDetails(question: AskedQuestion, bank: readonly BankQuestion[]): QuestionFacts {
  const asked = normalizeAnswer(question.question);
  const match = bank.find((candidate) => normalizeAnswer(candidate.question) === asked);
  return { ...question, acceptedAnswers: match?.answers ?? [], hint: match?.hint ?? null };
}
