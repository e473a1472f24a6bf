import type { LlmDouble, ServiceProcess } from './processes.js';
import { driveLearners, driveTurns, learnerQuestion, paceTurns, sendTurn, serviceHeaders, startSession, startSessions, type LoadResult } from './load.js';
import { capturedStatements, type Statement } from './sql.js';

export interface Sizes {
  sweep: number[];
  sweepSeconds: number;
  /**
   * Rounds of each figure and its raw counterpart (the turn's also without a model call), alternating (each turn
   * round `sweepSeconds` long).
   */
  pairedRounds: number;
  halfRateSeconds: number;
  slowRounds: number;
  /** Timed GETs in all, and as many raw selects, split over the paired rounds. */
  gets: number;
  /**
   * Untimed requests before the timed ones, for the GET and its raw select alike, and turns for a service started
   * after the sweep (the one without a model call): steady state, not the JIT's warm-up. A fresh service's GET gets
   * faster for its first ~2,000 (1.8–2.0 → 1.45 ms here, V8 still optimizing functions throughout; flat at 2.7 ms
   * with the optimizing compiler off); the raw select is flat from the start.
   */
  warmup: number;
  streams: number;
  coldStarts: number;
}

export const fullSizes: Sizes = { sweep: [4, 8, 16, 32, 64], sweepSeconds: 6, pairedRounds: 3, halfRateSeconds: 15, slowRounds: 5, gets: 300, warmup: 2000, streams: 100, coldStarts: 3 };
export const quickSizes: Sizes = { sweep: [8, 32], sweepSeconds: 3, pairedRounds: 2, halfRateSeconds: 5, slowRounds: 2, gets: 100, warmup: 1000, streams: 30, coldStarts: 1 };

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

export interface TurnLoadFigures {
  best: LoadResult & { connections: number };
  halfRate: LoadResult;
  sessions: number[];
}

/** Turns with a 0 ms LLM: the concurrency with the most turns per second, then latency at half that rate. */
export async function turnScenario(service: ServiceProcess, sizes: Sizes, log: (line: string) => void): Promise<TurnLoadFigures> {
  const maxConnections = Math.max(...sizes.sweep);
  const sessions = await startSessions(service.url, maxConnections);
  await driveTurns({ url: service.url, sessions, connections: maxConnections, amount: maxConnections * 5 }); // warm-up
  let best: TurnLoadFigures['best'] | undefined;
  for (const connections of sizes.sweep) {
    const result = await driveTurns({ url: service.url, sessions, connections, seconds: sizes.sweepSeconds });
    log(`  turn: ${connections} connections → ${result.rps.toFixed(0)} turns/s, p99 ${result.p99Ms} ms, ${result.errors} errors`);
    if (!best || result.rps > best.rps) best = { ...result, connections };
  }
  const rate = Math.max(1, Math.floor(best!.rps / 2));
  const halfRate = await paceTurns({ url: service.url, sessions, rate, seconds: sizes.halfRateSeconds });
  log(`  turn: ${rate} turns/s, evenly spaced → p50 ${halfRate.p50Ms.toFixed(1)} ms, p99 ${halfRate.p99Ms.toFixed(1)} ms, ${halfRate.errors} errors`);
  return { best: best!, halfRate, sessions };
}

export interface Conversation {
  sessionId: number;
  promptChars: { turn_5: number; turn_50: number; turn_200: number };
  messages: number;
}

/**
 * One long conversation: the characters of the request the LLM receives at turns 5, 50 and 200 (the opening
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

/** Time from the LLM double writing its first streamed chunk to the client reading the first `delta` event. */
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

export interface SlowLlm {
  in_flight: number;
  llm_latency_ms: number;
  rps: number;
  ideal_rps: number;
  efficiency: number;
  errors: number;
  peak_rss_mb: number;
  /** All 500 learners sending at the same instant, round after round: the arrivals come in bursts of 500. */
  synchronized_efficiency: number;
}

/**
 * 500 learners, each with a turn always in flight, while the LLM takes 2 s to answer each: does the service keep
 * up and stay small? First the learners all send at the same instant, round after round (`synchronized`), then
 * as learners do, spread out; the peak resident set is over both.
 */
export async function slowLlmScenario(service: ServiceProcess, double: LlmDouble, sizes: Sizes): Promise<SlowLlm> {
  const inFlight = 500;
  const latencyMs = 2000;
  const ideal = inFlight / (latencyMs / 1000);
  const sessions = await startSessions(service.url, inFlight);
  await double.send({ type: 'latency', ms: latencyMs });
  service.resetPeakRss();
  const synchronized = await driveTurns({ url: service.url, sessions, connections: inFlight, amount: inFlight * sizes.slowRounds });
  const steady = await driveLearners({ url: service.url, sessions, rampMs: latencyMs, seconds: (sizes.slowRounds * latencyMs) / 1000 });
  const peak = service.peakRssMb();
  await double.send({ type: 'latency', ms: 0 });
  return {
    in_flight: inFlight,
    llm_latency_ms: latencyMs,
    rps: steady.rps,
    ideal_rps: ideal,
    efficiency: steady.rps / ideal,
    errors: steady.errors + synchronized.errors,
    peak_rss_mb: peak,
    synchronized_efficiency: synchronized.rps / ideal,
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
