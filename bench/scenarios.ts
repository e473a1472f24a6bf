import type { LlmDouble, ServiceProcess } from './processes.js';
import { driveGets, driveTurns, learnerQuestion, sendTurn, serviceHeaders, startSession, startSessions, type LoadResult } from './load.js';
import { capturedStatements, type Statement } from './sql.js';

export interface Sizes {
  sweep: number[];
  sweepSeconds: number;
  halfRateSeconds: number;
  slowRounds: number;
  gets: number;
  streams: number;
  coldStarts: number;
}

export const fullSizes: Sizes = { sweep: [4, 8, 16, 32, 64], sweepSeconds: 6, halfRateSeconds: 15, slowRounds: 5, gets: 300, streams: 100, coldStarts: 3 };
export const quickSizes: Sizes = { sweep: [8, 32], sweepSeconds: 3, halfRateSeconds: 5, slowRounds: 2, gets: 100, streams: 30, coldStarts: 1 };

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
  // Fewer clients than at the peak: autocannon paces each connection on its own, and many paced connections
  // fire in bursts, which would measure the bursts rather than the rate.
  const connections = Math.max(2, Math.ceil(best!.connections / 4));
  const halfRate = await driveTurns({ url: service.url, sessions, connections, seconds: sizes.halfRateSeconds, rate });
  log(`  turn: ${rate} turns/s offered from ${connections} connections → p50 ${halfRate.p50Ms} ms, p99 ${halfRate.p99Ms} ms, ${halfRate.errors} errors`);
  return { best: best!, halfRate, sessions };
}

export interface Conversation {
  sessionId: number;
  promptChars: { turn_5: number; turn_50: number; turn_200: number };
  messages: number;
  get: LoadResult;
}

/**
 * One long conversation: the characters of the request the LLM receives at turns 5, 50 and 200 (the opening
 * is turn 0), then `GET /api/sessions/{id}` on it once it holds 500 messages.
 */
export async function conversationScenario(service: ServiceProcess, double: LlmDouble, sizes: Sizes): Promise<Conversation> {
  const sessionId = await startSession(service.url, 900_000);
  const promptChars = { turn_5: 0, turn_50: 0, turn_200: 0 };
  // The opening message, then two messages a turn: 250 turns make 501 visible messages.
  for (let turn = 1; turn <= 250; turn++) {
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
  const get = await driveGets(service.url, `/api/sessions/${sessionId}`, sizes.gets);
  return { sessionId, promptChars, messages: details.messages.length, get };
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
}

/** 500 turns always in flight while the LLM takes 2 s to answer each: does the service keep up and stay small? */
export async function slowLlmScenario(service: ServiceProcess, double: LlmDouble, sizes: Sizes): Promise<SlowLlm> {
  const inFlight = 500;
  const latencyMs = 2000;
  const sessions = await startSessions(service.url, inFlight);
  await double.send({ type: 'latency', ms: latencyMs });
  service.resetPeakRss();
  const result = await driveTurns({ url: service.url, sessions, connections: inFlight, amount: inFlight * sizes.slowRounds });
  const peak = service.peakRssMb();
  await double.send({ type: 'latency', ms: 0 });
  const ideal = inFlight / (latencyMs / 1000);
  return { in_flight: inFlight, llm_latency_ms: latencyMs, rps: result.rps, ideal_rps: ideal, efficiency: result.rps / ideal, errors: result.errors, peak_rss_mb: peak };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
