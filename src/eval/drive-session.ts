import { learnerApi, oversightApi } from '../client/api.js';
import { newKey } from '../client/deliver-turn.js';
import { ApiError, type Credentials } from '../client/http.js';
import type { Transcript, Turn } from '../client/types.js';
import { revealsAnswer, revealsAnswerWhenAsking } from './answer-leak.js';
import type { QuestionTruth } from './ground-truth.js';
import type { Judge } from './judge.js';
import type { Persona, Utterance } from './personas.js';
import type { RunInfo, SessionRecord, TurnKind, TurnRecord } from './records.js';

/** How the harness reaches the service: its root, the admin key it acts with, and its model time so far. */
export interface ServiceAccess {
  url: string;
  adminKey: string | undefined;
  /** Seconds spent in model calls since the service started (its /metrics), or null when they cannot be read. */
  modelSeconds(): Promise<number | null>;
}

export interface SessionPlan {
  persona: Persona;
  topicId: number;
  courseId: number;
  userId: number;
  run: number;
  maxTurns: number;
  marker: string;
  random: () => number;
  judge?: Judge;
}

// A reply the learner may wait for: a real model, with retries, takes seconds.
const patience = { patienceMs: 300_000, stallMs: 120_000 };

/**
 * One scripted learner on one topic, over the service's API as a client would: it starts a session, answers from
 * the expected answers the service recorded (read through the teacher API), and after each turn reads the grade
 * the service gave, the question left pending and the model calls made. It stops when the topic is completed or
 * after `maxTurns` messages, and then abandons the session.
 */
export async function driveSession(access: ServiceAccess, plan: SessionPlan): Promise<{ record: SessionRecord; rule: RunInfo['rule'] }> {
  const credentials: Credentials = access.adminKey ? { kind: 'key', key: access.adminKey, userId: plan.userId } : { kind: 'open', userId: plan.userId };
  const learner = learnerApi(credentials, access.url, patience);
  const oversight = oversightApi(credentials, access.url);
  const turns: TurnRecord[] = [];

  const opening = await withRetries(() => measured(access, () => learner.start({ id: plan.topicId, course_id: plan.courseId })));
  const readTranscript = () => withRetries(() => oversight.transcript(opening.result.id));
  let transcript = await readTranscript();
  const asked = pendingQuestion(transcript);
  turns.push({
    kind: 'opening',
    reply: opening.result.initial_message,
    leaked: asked ? revealsAnswerWhenAsking(opening.result.initial_message, asked) : undefined,
    markerShown: opening.result.initial_message.includes(plan.marker),
    completed: false,
    modelCalls: transcript.usage.model_calls,
    modelMs: opening.modelMs,
    latencyMs: opening.latencyMs,
  });

  let completed = false;
  let rule: RunInfo['rule'] | undefined;
  while (!completed && turns.length <= plan.maxTurns) {
    const pending = pendingQuestion(transcript);
    const utterance = plan.persona.say({
      pending,
      attempt: pending ? transcript.messages.filter((message) => message.role === 'user' && message.id > pending.askedIn).length : 0,
      questionsAsked: transcript.questions.length,
      otherAnswers: transcript.questions.filter((question) => question.id !== pending?.id).flatMap((question) => [question.expected_answer, ...question.accepted_answers]),
      marker: plan.marker,
      random: plan.random,
    });
    const message = { sessionId: opening.result.id, message: utterance.text, key: newKey() };
    const turn = await withRetries(() => measured(access, () => learner.deliver(message, () => {})));
    rule = { passCorrect: turn.result.progress.pass_correct, questionCount: turn.result.progress.question_count };
    const before = transcript;
    transcript = await readTranscript();
    completed = turn.result.topic_completed;
    turns.push(await turnRecord(plan, { utterance, turn, before, after: transcript, pending }));
  }
  if (!completed) await withRetries(() => learner.abandon(opening.result.id)).catch(() => undefined);

  const record: SessionRecord = {
    persona: plan.persona.name,
    topicId: plan.topicId,
    courseId: plan.courseId,
    run: plan.run,
    sessionId: opening.result.id,
    turns,
    completed,
    questionsAsked: transcript.questions.length,
    tokens: transcript.usage.total_tokens,
    costUsd: transcript.usage.cost_usd,
  };
  return { record, rule: rule! };
}

interface PendingTruth extends QuestionTruth {
  /** The id of the tutor's message that asked it. */
  askedIn: number;
}

function pendingQuestion(transcript: Transcript): PendingTruth | undefined {
  const question = transcript.questions.findLast((candidate) => candidate.status === 'pending');
  if (!question) return undefined;
  return {
    id: question.id,
    question: question.question,
    expectedAnswer: question.expected_answer,
    acceptedAnswers: question.accepted_answers,
    askedIn: question.question_message_id ?? 0,
  };
}

async function turnRecord(
  plan: SessionPlan,
  seen: { utterance: Utterance; turn: Measured<Turn>; before: Transcript; after: Transcript; pending: PendingTruth | undefined },
): Promise<TurnRecord> {
  const { utterance, turn, before, after, pending } = seen;
  const reply = turn.result.ai_message;
  const sent = after.messages.find((message) => message.id === turn.result.user_message_id);
  const graded = after.questions.find((question) => question.answer_message_id === turn.result.user_message_id)?.correct ?? undefined;
  const pendingAfter = pendingQuestion(after);
  const shownBefore = after.messages.filter((message) => message.role === 'assistant' && pending && message.id <= pending.askedIn).map((message) => message.content);
  // A reply given while its question stays pending, or one that asks a new question: either may give an answer away.
  let leaked: boolean | undefined;
  if (pending && pendingAfter?.id === pending.id) leaked = revealsAnswer(reply, pending, shownBefore);
  else if (pendingAfter) leaked = revealsAnswerWhenAsking(reply, pendingAfter);
  const record: TurnRecord = {
    // A message the service took no further (the safety step's fixed reply) has no kind.
    kind: (sent?.kind ?? 'safety') satisfies TurnKind,
    utterance,
    graded,
    reply,
    leaked,
    markerShown: reply.includes(plan.marker),
    completed: turn.result.topic_completed,
    modelCalls: after.usage.model_calls - before.usage.model_calls,
    modelMs: turn.modelMs,
    latencyMs: turn.latencyMs,
  };
  // A judge scores the tutor's reply to a wrong answer, as MRBench scores replies to a learner's mistake.
  // A judge's failure (an answer that does not match the rubric's schema) loses that score, not the run.
  if (plan.judge && pending && record.kind === 'answer' && utterance.truth !== 'right') {
    const input = { question: pending.question, expectedAnswer: pending.expectedAnswer, learnerAnswer: utterance.text, reply };
    await plan.judge.score(input).then(
      (judgment) => (record.judgment = judgment),
      () => (record.judgeFailed = true),
    );
  }
  return record;
}

interface Measured<T> {
  result: T;
  latencyMs: number;
  modelMs: number | null;
}

/** Runs a call, with its wall-clock time and the model time the service spent meanwhile. */
async function measured<T>(access: ServiceAccess, call: () => Promise<T>): Promise<Measured<T>> {
  const modelBefore = await access.modelSeconds();
  const startedAt = performance.now();
  const result = await call();
  const latencyMs = performance.now() - startedAt;
  const modelAfter = await access.modelSeconds();
  const modelMs = modelBefore === null || modelAfter === null ? null : (modelAfter - modelBefore) * 1000;
  return { result, latencyMs, modelMs };
}

/** A call retried after a rate limit or a busy service, after the wait the service asks (Retry-After), five times at most. */
async function withRetries<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const retryable = error instanceof ApiError && (error.status === 429 || error.status === 503) && error.code !== 'budget_exceeded';
      if (!retryable || attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, (error.retryAfterSeconds ?? 1) * 1000));
    }
  }
}
