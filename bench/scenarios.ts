import { Agent } from 'node:http';
import { postTurn, rightAnswer, runLearners, turnKinds, type TurnKind } from './learners.js';
import { driveTurns, learnerQuestion, sendTurn, serviceHeaders, startSession, startSessions, type LoadResult } from './load.js';
import type { LlmDouble, ServiceProcess } from './processes.js';
import { capturedStatements, type Statement } from './sql.js';

export interface Sizes {
  sweep: number[];
  sweepSeconds: number;
  /** Rounds of the 0 ms turn rate, its no-model twin and the raw replay, alternating. */
  pairedRounds: number;
  /** Learners in flight, the model's latency, and how long they talk, for `turn_latency`. */
  latency: { learners: number; llmMs: number; seconds: number };
  /** The same for `slow_llm`, whose learners each make two turns (an answer, then a question). */
  slow: { learners: number; llmMs: number };
  /** Timed GETs in all, and as many raw selects, split over the paired rounds. */
  gets: number;
  /**
   * Untimed requests before the timed ones (the GET and its raw select), and turns for a service started after the
   * sweep (the one without a model call): steady state, not the JIT's warm-up.
   */
  warmup: number;
  streams: number;
  coldStarts: number;
}

export const fullSizes: Sizes = {
  sweep: [8, 16, 32],
  sweepSeconds: 5,
  pairedRounds: 3,
  latency: { learners: 500, llmMs: 2000, seconds: 20 },
  slow: { learners: 5000, llmMs: 20_000 },
  gets: 300,
  warmup: 2000,
  streams: 100,
  coldStarts: 3,
};
export const quickSizes: Sizes = {
  sweep: [16],
  sweepSeconds: 3,
  pairedRounds: 2,
  latency: { learners: 200, llmMs: 1000, seconds: 8 },
  slow: { learners: 500, llmMs: 4000 },
  gets: 100,
  warmup: 1000,
  streams: 30,
  coldStarts: 1,
};

/** Model calls each kind of turn made, and whether its reply was offered ask_question. */
export interface LlmCalls {
  opening: number;
  learner_question: number;
  hint: number;
  graded_answer: number;
  /** An answer that is exactly an accepted answer of a bank question: no grader. */
  exact_bank_answer: number;
  completing_answer: number;
  completing_reply_offered_question: boolean;
}

/**
 * One session taken through every kind of turn, the double counting the model requests of each: the opening, a
 * learner's own question, a hint, a wrong answer, an exact bank answer, and a right answer that completes the topic
 * (2 of the last 3).
 */
export async function llmCallsScenario(service: ServiceProcess, double: LlmDouble): Promise<LlmCalls> {
  const count = async (act: () => Promise<unknown>) => {
    await double.send({ type: 'record', on: true });
    await act();
    const requests = await double.recorded();
    await double.send({ type: 'record', on: false });
    return requests;
  };
  let sessionId = 0;
  const opening = await count(async () => (sessionId = await startSession(service.url, 700_000)));
  const say = (message: string) => count(() => sendTurn(service.url, sessionId, undefined, message));
  const question = await say(learnerQuestion);
  const hint = await say('hint');
  const graded = await say('banana'); // the tutor then asks "What data type is the number 42?"
  const exact = await say('integer');
  const completing = await say(rightAnswer);
  const details = (await (await fetch(`${service.url}/api/sessions/${sessionId}`, { headers: serviceHeaders })).json()) as { status: string };
  if (details.status !== 'completed') throw new Error(`the scripted session did not complete: ${JSON.stringify(details)}`);
  return {
    opening: opening.length,
    learner_question: question.length,
    hint: hint.length,
    graded_answer: graded.length,
    exact_bank_answer: exact.length,
    completing_answer: completing.length,
    completing_reply_offered_question: completing.some((request) => request.kind === 'reply' && request.asks),
  };
}

export interface TurnLatency {
  learners: number;
  llm_latency_ms: number;
  turns: number;
  turns_per_second: number;
  errors: number;
  /** Each turn's latency divided by its ideal, (its model calls) × the model's latency: p50 and p99 by kind. */
  multiple: Record<TurnKind, { turns: number; p50: number; p99: number }>;
}

/**
 * Learners in flight against a model that takes `llmMs` to answer each call: what each turn takes beyond the model
 * calls it makes, by kind.
 */
export async function turnLatencyScenario(service: ServiceProcess, double: LlmDouble, sizes: Sizes): Promise<TurnLatency> {
  const { learners, llmMs, seconds } = sizes.latency;
  const sessions = await startSessions(service.url, learners, 32, 200_000);
  await double.send({ type: 'latency', ms: llmMs });
  const turns = await runLearners({ url: service.url, sessions, cycle: ['answer', 'question', 'hint'], rampMs: llmMs, seconds });
  await double.send({ type: 'latency', ms: 0 });
  const ok = turns.filter((turn) => turn.status === 200);
  const multiples = (kind: TurnKind) =>
    ok.filter((turn) => turn.kind === kind).map((turn) => turn.ms / (turnKinds[kind].calls * llmMs)).sort((a, b) => a - b);
  const byKind = Object.fromEntries(
    (Object.keys(turnKinds) as TurnKind[]).map((kind) => {
      const values = multiples(kind);
      return [kind, { turns: values.length, p50: quantile(values, 0.5), p99: quantile(values, 0.99) }];
    }),
  ) as TurnLatency['multiple'];
  return {
    learners,
    llm_latency_ms: llmMs,
    turns: ok.length,
    turns_per_second: ok.length / (seconds + llmMs / 1000),
    errors: turns.length - ok.length,
    multiple: byKind,
  };
}

export interface SlowLlm {
  learners: number;
  llm_latency_ms: number;
  turns: number;
  /** The ideal time of the turns answered (their model calls × the latency) over the time they took. */
  efficiency: number;
  errors: number;
  idle_rss_mb: number;
  peak_rss_mb: number;
  /** (peak − idle) / learners: what a turn in flight holds. */
  rss_per_turn_kb: number;
}

/**
 * Thousands of learners, each with a turn in flight, while a slow model (a reasoning one) takes `llmMs` a call:
 * does the service keep them all waiting on the model alone, and how much memory does a waiting turn hold? Each
 * learner answers (two calls), then asks (one), their first turns spread over one model call's time.
 */
export async function slowLlmScenario(service: ServiceProcess, double: LlmDouble, sizes: Sizes): Promise<SlowLlm> {
  const { learners, llmMs } = sizes.slow;
  const sessions = await startSessions(service.url, learners, 64, 300_000);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const idle = service.rssMb();
  await double.send({ type: 'latency', ms: llmMs });
  service.resetPeakRss();
  const turns = await runLearners({ url: service.url, sessions, cycle: ['answer', 'question'], rampMs: llmMs, turnsEach: 2 });
  const peak = service.peakRssMb();
  await double.send({ type: 'latency', ms: 0 });
  const ok = turns.filter((turn) => turn.status === 200);
  const ideal = ok.reduce((sum, turn) => sum + turnKinds[turn.kind].calls * llmMs, 0);
  const taken = ok.reduce((sum, turn) => sum + turn.ms, 0);
  return {
    learners,
    llm_latency_ms: llmMs,
    turns: ok.length,
    efficiency: ideal / taken,
    errors: turns.length - ok.length,
    idle_rss_mb: idle,
    peak_rss_mb: peak,
    rss_per_turn_kb: ((peak - idle) * 1024) / learners,
  };
}

/**
 * The prompt tokens a scripted session of 12 graded answers costs, grading included, as the model counts them (the
 * double counts a token every four characters of the request): answers wrong, wrong, right, over and over, so that
 * the session never completes.
 */
export async function promptTokensScenario(service: ServiceProcess): Promise<number> {
  const sessionId = await startSession(service.url, 800_000);
  for (let n = 0; n < 12; n++) await sendTurn(service.url, sessionId, undefined, n % 3 === 2 ? rightAnswer : turnKinds.answer.message);
  const details = (await (await fetch(`${service.url}/api/sessions/${sessionId}`, { headers: serviceHeaders })).json()) as {
    status: string;
    usage: { prompt_tokens: number };
  };
  if (details.status !== 'active') throw new Error('the 12-answer session completed: it must not');
  return details.usage.prompt_tokens;
}

/**
 * Resident memory once started, and once idle again after 100 turns (a learner's question each, 10 at a time):
 * each read after 10 s without a request, as a service waits between learners, which lets V8 give back the heap it
 * grew while busy.
 */
export async function idleRssScenario(service: ServiceProcess): Promise<{ idle_rss_mb: number; after_100_turns_mb: number; growth_mb: number }> {
  const settle = () => new Promise((resolve) => setTimeout(resolve, 10_000));
  await settle();
  const idle = service.rssMb();
  const sessions = await startSessions(service.url, 10, 10, 900_000);
  const agent = new Agent({ keepAlive: true });
  for (let round = 0; round < 10; round++) await Promise.all(sessions.map((sessionId) => postTurn(agent, service.url, sessionId, learnerQuestion)));
  agent.destroy();
  await settle();
  const after = service.rssMb();
  return { idle_rss_mb: idle, after_100_turns_mb: after, growth_mb: after - idle };
}

export interface Captured {
  sessionId: number;
  turn: Statement[];
  get: Statement[];
}

/**
 * The statements of one turn and of one `GET /api/sessions/{id}`, from the service's own query log: a service
 * started with LOG_LEVEL=trace answers them on a session that has already taken two turns, as under load.
 */
export async function captureRequests(service: ServiceProcess, userId: number): Promise<Captured> {
  const sessionId = await startSession(service.url, userId);
  await sendTurn(service.url, sessionId);
  await sendTurn(service.url, sessionId);
  await sendTurn(service.url, sessionId, `capture-turn-${sessionId}`);
  await fetch(`${service.url}/api/sessions/${sessionId}`, { headers: { ...serviceHeaders, 'x-request-id': `capture-get-${sessionId}` } }).then((r) => r.arrayBuffer());
  // The log reaches the file a moment after the response.
  await new Promise((resolve) => setTimeout(resolve, 200));
  return {
    sessionId,
    turn: capturedStatements(service.logFile, `capture-turn-${sessionId}`),
    get: capturedStatements(service.logFile, `capture-get-${sessionId}`),
  };
}

export interface TurnRate {
  best: LoadResult & { connections: number };
  sessions: number[];
}

/** Turns with a 0 ms model: the concurrency with the most turns a second. */
export async function turnRateScenario(service: ServiceProcess, sizes: Sizes, log: (line: string) => void): Promise<TurnRate> {
  const maxConnections = Math.max(...sizes.sweep);
  const sessions = await startSessions(service.url, maxConnections);
  await driveTurns({ url: service.url, sessions, connections: maxConnections, amount: maxConnections * 5 }); // warm-up
  let best: TurnRate['best'] | undefined;
  for (const connections of sizes.sweep) {
    const result = await driveTurns({ url: service.url, sessions, connections, seconds: sizes.sweepSeconds });
    log(`  0 ms model: ${connections} connections → ${result.rps.toFixed(0)} turns/s, ${result.errors} errors`);
    if (!best || result.rps > best.rps) best = { ...result, connections };
  }
  return { best: best!, sessions };
}

export interface Conversation {
  sessionId: number;
  promptChars: { turn_5: number; turn_50: number; turn_200: number };
  messages: number;
}

/**
 * One long conversation: the characters of the request the model receives at turns 5, 50 and 200 (the opening
 * is turn 0); it ends with 499 visible messages, the most a session holds by default (MAX_SESSION_MESSAGES), for
 * `GET /api/sessions/{id}`.
 */
export async function conversationScenario(service: ServiceProcess, double: LlmDouble): Promise<Conversation> {
  const sessionId = await startSession(service.url, 900_000);
  const promptChars = { turn_5: 0, turn_50: 0, turn_200: 0 };
  // The opening message, then two messages a turn: 249 turns make 499 visible messages.
  for (let turn = 1; turn <= 249; turn++) {
    const measured = turn === 5 || turn === 50 || turn === 200;
    if (measured) await double.send({ type: 'record', on: true });
    await sendTurn(service.url, sessionId);
    if (measured) {
      const [request] = await double.recorded();
      promptChars[`turn_${turn}` as keyof typeof promptChars] = request!.chars;
      await double.send({ type: 'record', on: false });
    }
  }
  const details = (await (await fetch(`${service.url}/api/sessions/${sessionId}`, { headers: serviceHeaders })).json()) as { messages: unknown[] };
  return { sessionId, promptChars, messages: details.messages.length };
}

/** Time from the model double writing its first streamed chunk to the client reading the first `delta` event. */
export async function streamScenario(service: ServiceProcess, double: LlmDouble, sessions: number[], sizes: Sizes): Promise<number> {
  const arrivals: bigint[] = [];
  // Chunks 10 ms apart, as a model streams them: each one travels on its own.
  await double.send({ type: 'latency', ms: 0, chunkMs: 10 });
  await double.send({ type: 'record', on: true });
  for (let i = 0; i < sizes.streams; i++) {
    const response = await fetch(`${service.url}/api/sessions/${sessions[i % sessions.length]}/message`, {
      method: 'POST',
      headers: { ...serviceHeaders, accept: 'text/event-stream' },
      body: JSON.stringify({ message: learnerQuestion }),
    });
    const reader = response.body!.getReader();
    let text = '';
    let arrived: bigint | undefined;
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      text += Buffer.from(chunk.value).toString('utf8');
      if (arrived === undefined && text.includes('event: delta')) arrived = process.hrtime.bigint();
    }
    if (arrived === undefined) throw new Error(`no delta event in the stream:\n${text}`);
    arrivals.push(arrived);
  }
  const sent = (await double.recorded()).map((request) => BigInt(request.firstChunkAt!));
  await double.send({ type: 'record', on: false });
  await double.send({ type: 'latency', ms: 0 });
  if (sent.length !== arrivals.length) throw new Error(`the double streamed ${sent.length} answers for ${arrivals.length} turns`);
  return median(arrivals.map((arrived, i) => Number(arrived - sent[i]!) / 1e6));
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}
