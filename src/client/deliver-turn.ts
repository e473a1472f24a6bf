import { ApiError, authHeaders, networkError, problemOf, type Credentials } from './http.js';
import { readEvents } from './events.js';
import type { Turn } from './types.js';

/** A message sent and not yet answered. */
export interface PendingTurn {
  sessionId: number;
  message: string;
  /** The Idempotency-Key it was sent with: sent again, it gets the same turn, never a second one. */
  key: string;
}

/** A new Idempotency-Key; from getRandomValues, which (unlike randomUUID) also exists on a plain-http page. */
export function newKey(): string {
  return [...crypto.getRandomValues(new Uint8Array(16))].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** How long a reply is waited for. */
export interface Patience {
  /** Give up on a reply after this long: the learner then sees an error and can send again. */
  patienceMs: number;
  /** A connection that brings nothing for this long is given up and the reply read again. */
  stallMs: number;
}

// Stalled: longer than a model call may take before its first words (GEMINI_TIMEOUT, 60 s by default, retries included).
export const defaultPatience: Patience = { patienceMs: 120_000, stallMs: 90_000 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Next = 'send' | 'resume' | 'follow';

/**
 * Sends a learner's message and streams the tutor's reply to `show` (the reply's text so far) until it is saved:
 * - the connection drops mid-reply: the rest is read from GET /api/sessions/{id}/stream after the last event seen;
 * - the instance writing the reply stops (`reply_interrupted`): the message is sent again, with the same key;
 * - the message is already being answered (a reload, a retry): that reply is followed from its start.
 * Rejects with an ApiError for what the learner must know (a turn in progress, a rate limit, the tutor unavailable).
 */
export async function deliverTurn(
  credentials: Credentials,
  baseUrl: string,
  pending: PendingTurn,
  show: (text: string) => void,
  { patienceMs, stallMs }: Patience = defaultPatience,
): Promise<Turn> {
  const base = `${baseUrl}/api/sessions/${pending.sessionId}`;
  const deadline = Date.now() + patienceMs;
  let next: Next = 'send';
  let lastEventId: string | undefined;
  let text = '';
  for (let attempt = 0; ; attempt++) {
    if (attempt > 0) await sleep(Math.min(4000, 500 * 2 ** Math.min(attempt - 1, 3)));
    if (Date.now() > deadline) throw networkError();
    // Each attempt is abandoned when it brings nothing for stallMs, or at the deadline: nothing waits forever.
    const attemptControl = new AbortController();
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    const watch = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => attemptControl.abort(), Math.max(0, Math.min(stallMs, deadline - Date.now())));
    };
    watch();
    const { signal } = attemptControl;
    let response: Response;
    try {
      response =
        next === 'send'
          ? await fetch(`${base}/message`, {
              method: 'POST',
              headers: { ...authHeaders(credentials), accept: 'text/event-stream', 'content-type': 'application/json', 'idempotency-key': pending.key },
              body: JSON.stringify({ message: pending.message }),
              signal,
            })
          : await fetch(`${base}/stream`, {
              headers: { ...authHeaders(credentials), accept: 'text/event-stream', ...(next === 'resume' && lastEventId ? { 'last-event-id': lastEventId } : {}) },
              signal,
            });
    } catch {
      clearTimeout(watchdog);
      continue; // Unreachable for now, or silent: try again, as it was.
    }
    if (!response.ok || response.status === 204) clearTimeout(watchdog);
    if (response.status === 204) {
      next = 'send';
      continue;
    }
    if (!response.ok) {
      const problem = await problemOf(response);
      // This very message is being answered: follow that reply.
      if (problem.code === 'request_in_progress') next = 'follow';
      else throw problem;
      continue;
    }

    // A stream that starts the reply over (a new send, a replay, a followed reply) replaces what was shown.
    if (next !== 'resume') {
      text = '';
      show(text);
    }
    let end: { event: string; data: string } | undefined;
    let deltas = 0;
    try {
      await readEvents(response, (event) => {
        watch();
        if (event.event === 'delta') {
          const delta = (JSON.parse(event.data) as { text: string }).text;
          deltas++;
          text += delta;
          show(text);
        } else if (event.event === 'done' || event.event === 'error') end = event;
        // Only once the event is taken: an event that could not be read is read again.
        if (event.id !== undefined) lastEventId = event.id;
      });
    } catch {
      // The connection dropped mid-reply, went silent or sent what could not be read: close it, and read the rest
      // after the last event seen (or the reply again from its start).
      attemptControl.abort();
      next = lastEventId ? 'resume' : 'send';
      continue;
    } finally {
      clearTimeout(watchdog);
    }
    if (!end) {
      next = lastEventId ? 'resume' : 'send';
      continue;
    }
    if (end.event === 'done') {
      // A followed stream that is only a `done` is the session's latest turn, which may not be this message's: ask.
      if (next === 'follow' && deltas === 0) {
        next = 'send';
        continue;
      }
      return JSON.parse(end.data) as Turn;
    }
    const problem = JSON.parse(end.data) as { status: number; code: string; detail: string };
    if (problem.code !== 'reply_interrupted') throw new ApiError(problem.status, problem.code, problem.detail);
    // Its instance stopped before saving it: send the message again, with the same key.
    next = 'send';
    lastEventId = undefined;
  }
}
