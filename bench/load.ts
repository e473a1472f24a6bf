import { Agent, get } from 'node:http';
import autocannon from 'autocannon';

export const serviceKey = 'bench-service-key-0123456789';
export const serviceHeaders = { 'content-type': 'application/json', 'x-api-key': serviceKey };

// A learner's follow-up question: answered, not graded, so each turn makes one LLM call.
export const learnerQuestion = 'Could you explain that again with another example?';

export interface LoadResult {
  /** Successful responses per second. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  ok: number;
  /** Connection errors, timeouts and non-2xx responses. */
  errors: number;
  seconds: number;
}

export interface TurnLoad {
  url: string;
  /** Sessions to send messages to; at least `connections` of them. */
  sessions: number[];
  connections: number;
  seconds?: number;
  /** Requests in all, instead of `seconds`. */
  amount?: number;
}

/**
 * Message turns from `connections` concurrent clients. A session takes one turn at a time, so each request
 * borrows a session nobody is using and gives it back with its response.
 */
export async function driveTurns(load: TurnLoad): Promise<LoadResult> {
  if (load.sessions.length < load.connections) throw new Error('fewer sessions than connections');
  const idle = [...load.sessions];
  const body = JSON.stringify({ message: learnerQuestion });
  const started = performance.now();
  const result = await autocannon({
    url: load.url,
    connections: load.connections,
    ...(load.amount ? { amount: load.amount } : { duration: load.seconds ?? 10 }),
    timeout: 60,
    requests: [
      {
        method: 'POST',
        setupRequest: (request, context: { sessionId?: number }) => {
          context.sessionId = idle.pop();
          // A copy: autocannon adds its content-length to the headers it is given.
          return { ...request, path: `/api/sessions/${context.sessionId}/message`, headers: { ...serviceHeaders }, body };
        },
        onResponse: (_status, _body, context: { sessionId?: number }) => {
          idle.push(context.sessionId!);
        },
      },
    ],
  });
  const figures = summarize(result, (performance.now() - started) / 1000);
  // A run that ends on time leaves turns in flight; the next run must not find their sessions still busy.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  return figures;
}

const quantiles = (sorted: number[]) => {
  const at = (quantile: number) => sorted[Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))] ?? NaN;
  return { p50Ms: at(0.5), p99Ms: at(0.99) };
};

/**
 * `GET path` from one client on one keep-alive connection, one request after another: latency without queueing,
 * from sending the request to the response's last byte, to the microsecond (autocannon rounds to whole ms). The
 * first `warmup` requests are not timed.
 */
export async function driveGets(url: string, path: string, amount: number, warmup = 0): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const times: number[] = [];
  let errors = 0;
  let started = performance.now();
  try {
    for (let i = -warmup; i < amount; i++) {
      if (i === 0) {
        times.length = 0;
        errors = 0;
        started = performance.now();
      }
      const sent = performance.now();
      const status = await new Promise<number>((resolve, reject) => {
        get(`${url}${path}`, { agent, headers: serviceHeaders }, (response) => {
          response.on('data', () => {});
          response.on('end', () => resolve(response.statusCode ?? 0));
        }).on('error', reject);
      });
      if (status === 200) times.push(performance.now() - sent);
      else errors++;
    }
  } finally {
    agent.destroy();
  }
  times.sort((a, b) => a - b);
  const seconds = (performance.now() - started) / 1000;
  return { ...quantiles(times), rps: times.length / seconds, ok: times.length, errors, seconds };
}

function summarize(result: autocannon.Result, seconds: number): LoadResult {
  const ok = result['2xx'];
  return {
    rps: ok / seconds,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    ok,
    errors: result.errors + result.timeouts + result.non2xx,
    seconds,
  };
}

/** Starts `count` sessions, `parallel` at a time; returns their ids. */
export async function startSessions(url: string, count: number, parallel = 16, firstUser = 100_000): Promise<number[]> {
  const ids: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const userId = firstUser + next++;
      ids.push(await startSession(url, userId));
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  return ids;
}

export async function startSession(url: string, userId: number): Promise<number> {
  const response = await fetch(`${url}/api/sessions/start`, {
    method: 'POST',
    headers: serviceHeaders,
    body: JSON.stringify({ user_id: userId, course_id: 2, topic_id: 5 }),
  });
  if (response.status !== 201) throw new Error(`start session: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { id: number }).id;
}

/** One message turn, waited for; `requestId` names it in the service's log. */
export async function sendTurn(url: string, sessionId: number, requestId?: string, message = learnerQuestion): Promise<void> {
  const response = await fetch(`${url}/api/sessions/${sessionId}/message`, {
    method: 'POST',
    headers: { ...serviceHeaders, ...(requestId ? { 'x-request-id': requestId } : {}) },
    body: JSON.stringify({ message }),
  });
  if (response.status !== 200) throw new Error(`turn: ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
}
