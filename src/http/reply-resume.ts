import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ReplyStreamStore } from '../db/reply-streams.js';
import { AppError } from '../errors.js';
import { openEventStream, type EventStream } from './event-stream.js';
import { problem } from './errors.js';

/** How often a resuming client's reply is read again while it is being written (on this instance or another). */
const pollMs = 500;
// A reply whose turn no longer holds the session, seen this many reads in a row without its end, was interrupted:
// a turn that failed releases its lease a moment before its error is recorded.
const readsBeforeInterrupted = 2;

const eventIdPattern = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):(\d{1,9})$/;

export interface ResumeDeps {
  streams: ReplyStreamStore;
  /** The `done` data of the session's latest turn, as saved; undefined when it has had none. */
  lastDone(): Promise<unknown>;
}

/**
 * GET /api/sessions/{id}/stream: the rest of the reply after the event `Last-Event-ID` names (or all of the reply
 * being written), live, then its `done` or `error`; with no reply in progress, the latest turn's `done` at once, or
 * 204 when the session has had no turn. A reply named by its event id whose instance died ends with an `error` event:
 * the client resends its message with its Idempotency-Key. Only the session's owner (or a service key) may read it.
 */
export async function resumeReply(
  request: FastifyRequest,
  reply: FastifyReply,
  sessionId: number,
  ownerId: number | undefined,
  deps: ResumeDeps,
): Promise<FastifyReply> {
  const from = parseEventId(request.headers['last-event-id']);
  let turnId = from?.turnId;
  let offset = from?.offset ?? 0;
  let events: EventStream | undefined;
  let stalledReads = 0;
  const gone = new AbortController();
  reply.raw.on('close', () => gone.abort());

  for (;;) {
    const state = await deps.streams.read(sessionId, turnId);
    if (!state || (ownerId !== undefined && state.userId !== ownerId)) {
      if (events) break;
      throw new AppError('session_not_found', `Session ${sessionId} does not exist.`);
    }
    const { stream } = state;
    // Without an event id, the session's latest reply if it is being written; one whose turn died is no longer the
    // session's reply in progress (its client resends, and that turn may well have been answered since).
    if (stream && (turnId !== undefined || (stream.outcome === null && stream.live))) {
      turnId = stream.turnId;
      events ??= openEventStream(reply);
      const eventId = () => `${stream.turnId}:${offset}`;
      if (stream.text.length > offset) {
        const rest = stream.text.slice(offset);
        offset = stream.text.length;
        events.send('delta', JSON.stringify({ text: rest }), eventId());
      }
      if (stream.outcome !== null) {
        events.send(stream.outcome, stream.outcomeData!, eventId());
        break;
      }
      stalledReads = stream.live ? 0 : stalledReads + 1;
      if (stalledReads >= readsBeforeInterrupted) {
        events.send('error', JSON.stringify(interrupted()), eventId());
        break;
      }
    } else if (!state.turnInProgress) {
      // No reply is being written: the latest turn's end, as it was saved.
      if (events) {
        events.send('error', JSON.stringify(interrupted()), `${turnId}:${offset}`);
        break;
      }
      const done = await deps.lastDone();
      if (done === undefined) return reply.code(204).send();
      events = openEventStream(reply);
      events.send('done', JSON.stringify(done));
      break;
    }
    // A turn is in progress that has written nothing yet, or its reply goes on: read again shortly.
    try {
      await sleep(pollMs, undefined, { signal: gone.signal });
    } catch {
      break;
    }
  }
  // A client that went away while nothing was being written gets no stream.
  if (!events) return reply.code(204).send();
  events.end();
  return reply;
}

function interrupted() {
  return problem(
    'reply_interrupted',
    'The reply was interrupted before it was saved (its instance stopped). Send your message again, with the same Idempotency-Key.',
  );
}

function parseEventId(header: string | string[] | undefined): { turnId: string; offset: number } | undefined {
  if (header === undefined || header === '') return undefined;
  const match = eventIdPattern.exec(Array.isArray(header) ? header[0]! : header);
  if (!match) throw new AppError('validation_failed', 'Last-Event-ID must be the id of an event this service sent, such as "<turn>:<offset>".');
  return { turnId: match[1]!, offset: Number(match[2]) };
}
