import { createHash, randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/client.js';
import type { IdempotencyStore } from '../db/idempotency.js';
import { AppError } from '../errors.js';
import { keepRenewing } from '../renewal.js';

/** Writes a request's answer for replays, in the transaction that commits the request's work. */
export type StoreAnswer<T> = (tx: Db, body: T) => Promise<void>;

/** `T` is the route's success body: what is stored for a key is what that route answered. */
export type IdempotentOutcome<T> =
  | { replay: T }
  | {
      replay?: undefined;
      /** With a key: writes the answer for replays; to be called in the transaction that commits the request's work. */
      store?: StoreAnswer<T>;
      /** Runs the request's work; if it fails, the key is freed for a retry. The claim is held until it ends. */
      guard(work: () => Promise<T>): Promise<T>;
      /** The request failed before its work began: frees the key. */
      failed(): Promise<void>;
    };

export interface IdempotencyOptions {
  /** How long an answer is kept for replays (IDEMPOTENCY_TTL_HOURS). */
  ttlMs: number;
  /** How long a claim holds without renewal (TURN_LEASE_TTL_SECONDS): a crashed request's key frees itself after it. */
  leaseMs: number;
}

/**
 * Honours an `Idempotency-Key` header: a repeat of a request answered before gets the stored response, without
 * running again; the same key with another body is refused (422); a repeat of a request still running is 409, and
 * once that request has stopped renewing its claim (it crashed, or lost the database), the repeat runs it again.
 * Keys belong to the caller (the user of a token, or the service) and to the route and its parameters.
 */
export async function idempotency<T>(
  request: FastifyRequest,
  keys: IdempotencyStore,
  options: IdempotencyOptions,
  statusCode: number,
): Promise<IdempotentOutcome<T>> {
  const header = request.headers['idempotency-key'];
  if (header === undefined) return { guard: (work) => work(), failed: async () => {} };
  const key = Array.isArray(header) ? header[0]! : header;
  if (key.length < 1 || key.length > 255) {
    throw new AppError('validation_failed', 'The Idempotency-Key header must be 1 to 255 characters.');
  }
  const principal = request.principal.kind === 'user' ? `user:${request.principal.userId}` : request.principal.kind;
  // The matched route and its parsed parameters: one scope per resource, however its URL was spelled.
  const scope = `${principal} ${request.method} ${request.routeOptions.url} ${JSON.stringify(request.params ?? {})}`;
  const requestHash = createHash('sha256').update(JSON.stringify(request.body ?? null)).digest('hex');
  const owner = randomUUID();

  const earlier = await keys.claim({ scope, key, requestHash, owner, leaseMs: options.leaseMs, ttlMs: options.ttlMs });
  if (earlier) {
    if (earlier.requestHash !== requestHash) {
      throw new AppError('idempotency_key_reused', 'This Idempotency-Key was used for a different request.');
    }
    if (earlier.statusCode === null) {
      throw new AppError('request_in_progress', 'The request with this Idempotency-Key is still being answered.', { retryAfterSeconds: 1 });
    }
    return { replay: earlier.response as T };
  }
  const store: StoreAnswer<T> = async (tx, body) => {
    if (!(await keys.answer(tx, scope, key, owner, statusCode, body))) {
      throw new AppError('request_in_progress', 'A retry with this Idempotency-Key took the request over; its answer is the one kept.');
    }
  };
  const stopRenewing = keepRenewing(() => keys.renew(scope, key, owner, options.leaseMs), options.leaseMs / 3, (error) =>
    request.log.warn({ err: error }, 'Idempotency-Key claim not renewed'),
  );
  // Best effort: a claim that cannot be freed now (the database away) lapses by itself.
  const failed = async () => {
    stopRenewing();
    await keys.release(scope, key, owner).catch(() => {});
  };
  return {
    store,
    async guard(work) {
      try {
        return await work();
      } catch (error) {
        await failed();
        throw error;
      } finally {
        stopRenewing();
      }
    },
    failed,
  };
}
