import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/client.js';
import type { ReplyStreamStore } from '../db/reply-streams.js';

/**
 * How often a streamed reply's text is written while it streams: a client that resumes on another instance gets
 * the rest at most about this late. The first text is written at once; a reply of a few seconds costs a few writes.
 */
const writeEveryMs = 1000;

/** A streamed reply as it is recorded, for clients that lose the connection and resume it. */
export interface ReplyRecording {
  /** The id of the event sent after `offset` characters of the reply: `{turn}:{offset}`. */
  eventId(offset: number): string;
  /** Text sent to the client. */
  add(text: string): void;
  /** Records the `done` event's data, in the transaction that saves the turn, so that the two commit together. */
  done(tx: Db, body: unknown): Promise<void>;
  /**
   * Records the `error` event's data before it is sent, so that a client that saw it finds it on resuming (best
   * effort: a failed write is logged, and the reply ends all the same).
   */
  fail(problem: string): Promise<void>;
}

/** Records the reply of the turn that holds session `sessionId` under `lease`. */
export function recordReply(store: ReplyStreamStore, target: { sessionId: number; lease: string }, log: FastifyBaseLogger): ReplyRecording {
  const turnId = randomUUID();
  let text = '';
  let writtenAt = -Infinity;
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  const current = () => ({ turnId, ...target, text });
  const writeText = () => {
    timer = undefined;
    if (ended) return;
    writtenAt = Date.now();
    // A write that fails costs a resuming client some text until the next one; the reply itself goes on.
    store.writeText(current()).catch((error: unknown) => log.warn({ err: error, sessionId: target.sessionId }, 'streamed reply not recorded'));
  };
  const stop = () => {
    ended = true;
    clearTimeout(timer);
  };
  return {
    eventId: (offset) => `${turnId}:${offset}`,
    add(piece) {
      text += piece;
      timer ??= setTimeout(writeText, Math.max(0, writtenAt + writeEveryMs - Date.now()));
    },
    async done(tx, body) {
      stop();
      await store.end(current(), { outcome: 'done', data: JSON.stringify(body) }, tx);
    },
    async fail(problem) {
      stop();
      await store.end(current(), { outcome: 'error', data: problem }).catch((error: unknown) =>
        log.warn({ err: error, sessionId: target.sessionId }, 'end of a streamed reply not recorded'),
      );
    },
  };
}
