import { randomUUID } from 'node:crypto';

// Response bodies are checked by the tests' assertions, not by types.
/* eslint-disable @typescript-eslint/no-explicit-any */

/** Every answer a client got, by status ("network" for a connection that failed): faults must never yield a 500. */
export type Seen = Map<string, number>;

export interface RetryingClient {
  /** Where to send: a function, so that a test can move the client to another instance. */
  baseUrl: () => string;
  headers?: Record<string, string>;
  seen: Seen;
  /** Give up after this long: a fault that is never recovered from fails the test instead of hanging it. */
  deadlineMs?: number;
}

// Answers a client retries, as the README tells clients to: the same request, with the same Idempotency-Key.
const retryable = new Set([409, 429, 502, 503]);
const retriedConflicts = new Set(['turn_in_progress', 'request_in_progress']);

/**
 * Sends a request until it succeeds, retrying network failures and the answers a client should retry (503 and 429
 * after Retry-After, capped so that tests stay short; 409 while a turn or the same request is in progress), always
 * with the same Idempotency-Key. Any other answer is final and returned.
 */
export async function sendUntilDone(
  client: RetryingClient,
  request: { method: 'GET' | 'POST'; path: string; body?: unknown; key?: string },
): Promise<{ status: number; body: any; attempts: number }> {
  const key = request.key ?? randomUUID();
  const deadline = Date.now() + (client.deadlineMs ?? 20_000);
  for (let attempt = 1; ; attempt++) {
    let status: number;
    let body: any;
    let wait = 100;
    try {
      const response = await fetch(`${client.baseUrl()}${request.path}`, {
        method: request.method,
        headers: {
          ...client.headers,
          ...(request.method === 'POST' ? { 'content-type': 'application/json', 'idempotency-key': key } : {}),
        },
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: AbortSignal.timeout(30_000),
      });
      status = response.status;
      body = await response.json().catch(() => undefined);
      const retryAfter = Number(response.headers.get('retry-after'));
      if (retryAfter > 0) wait = Math.min(500, retryAfter * 1000);
    } catch {
      status = 0;
    }
    const label = status === 0 ? 'network' : String(status);
    client.seen.set(label, (client.seen.get(label) ?? 0) + 1);
    const again = status === 0 || (retryable.has(status) && (status !== 409 || retriedConflicts.has(body?.code)));
    if (!again) return { status, body, attempts: attempt };
    if (Date.now() > deadline) {
      throw new Error(`${request.method} ${request.path}: still ${label} ${body?.code ?? ''} after ${attempt} attempts`);
    }
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

/** A learner's answers, each after the tutor's last message: wrong, a question of their own, right, right. */
export const learnerScript = ['banana', 'What is a variable?', 'string integer boolean float', 'string integer boolean float'];

/**
 * Starts a session on topic 5 and sends the script, every request retried until it succeeds. Resolves with the
 * session's id and whether the topic was completed.
 */
export async function runLearner(client: RetryingClient, userId: number): Promise<{ sessionId: number; completed: boolean; turns: number }> {
  const started = await sendUntilDone(client, { method: 'POST', path: '/api/sessions/start', body: { user_id: userId, topic_id: 5, course_id: 2 } });
  if (started.status !== 201) throw new Error(`start: ${started.status} ${JSON.stringify(started.body)}`);
  const sessionId = started.body.id as number;
  let turns = 0;
  for (const message of learnerScript) {
    const turn = await sendUntilDone(client, { method: 'POST', path: `/api/sessions/${sessionId}/message`, body: { message } });
    if (turn.status !== 200) throw new Error(`turn ${turns + 1} of session ${sessionId}: ${turn.status} ${JSON.stringify(turn.body)}`);
    turns++;
    if (turn.body.topic_completed) return { sessionId, completed: true, turns };
  }
  return { sessionId, completed: false, turns };
}
