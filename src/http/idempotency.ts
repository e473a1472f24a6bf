import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/client.js';
import { claimKey, releaseKey, storeResponse } from '../db/idempotency.js';
import { AppError } from '../errors.js';

/** `T` is the route's success body: what is stored for a key is what that route answered. */
export type IdempotentOutcome<T> =
  | { replay: T }
  | {
      replay?: undefined;
      /** Runs the request's work: its response is kept for replays; if it fails, the key is freed for a retry. */
      guard(work: () => Promise<T>): Promise<T>;
      failed(): Promise<void>;
    };

/**
 * Honours an `Idempotency-Key` header: a repeat of a request answered before gets the stored response, without
 * running again; the same key with another body is refused (422); a repeat of a request still running is 409.
 * Keys belong to the caller (the user of a token, or the service) and to the route.
 */
export async function idempotency<T>(request: FastifyRequest, db: Db, ttlMs: number, statusCode: number): Promise<IdempotentOutcome<T>> {
  const header = request.headers['idempotency-key'];
  if (header === undefined) return { guard: (work) => work(), failed: async () => {} };
  const key = Array.isArray(header) ? header[0]! : header;
  if (key.length < 1 || key.length > 255) {
    throw new AppError('validation_failed', 'The Idempotency-Key header must be 1 to 255 characters.');
  }
  const principal = request.principal.kind === 'user' ? `user:${request.principal.userId}` : request.principal.kind;
  const scope = `${principal} ${request.method} ${request.url.split('?')[0]}`;
  const requestHash = createHash('sha256').update(JSON.stringify(request.body ?? null)).digest('hex');

  const earlier = await claimKey(db, { scope, key, requestHash, ttlMs });
  if (earlier) {
    if (earlier.requestHash !== requestHash) {
      throw new AppError('idempotency_key_reused', 'This Idempotency-Key was used for a different request.');
    }
    if (earlier.statusCode === null) {
      throw new AppError('request_in_progress', 'The request with this Idempotency-Key is still being answered.');
    }
    return { replay: earlier.response as T };
  }
  const failed = () => releaseKey(db, scope, key);
  return {
    async guard(work) {
      let body;
      try {
        body = await work();
      } catch (error) {
        await failed();
        throw error;
      }
      await storeResponse(db, scope, key, statusCode, body);
      return body;
    },
    failed,
  };
}
