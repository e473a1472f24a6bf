import { and, eq, lte, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { idempotencyKeys } from './schema.js';

export type IdempotencyRow = typeof idempotencyKeys.$inferSelect;

/**
 * Claims `key` for a request: returns undefined when this request is the first (its response is then stored
 * with `storeResponse`), or the row of the earlier request with that key. Expired keys are forgotten first.
 */
export async function claimKey(
  db: Db,
  claim: { scope: string; key: string; requestHash: string; ttlMs: number },
): Promise<IdempotencyRow | undefined> {
  const id = and(eq(idempotencyKeys.scope, claim.scope), eq(idempotencyKeys.key, claim.key));
  await db.delete(idempotencyKeys).where(and(id, lte(idempotencyKeys.expiresAt, sql`now()`)));
  const inserted = await db
    .insert(idempotencyKeys)
    .values({ scope: claim.scope, key: claim.key, requestHash: claim.requestHash, expiresAt: sql`now() + ${claim.ttlMs} * interval '1 millisecond'` })
    .onConflictDoNothing()
    .returning({ key: idempotencyKeys.key });
  if (inserted.length > 0) return undefined;
  const [existing] = await db.select().from(idempotencyKeys).where(id);
  return existing;
}

export async function storeResponse(db: Db, scope: string, key: string, statusCode: number, response: unknown): Promise<void> {
  await db
    .update(idempotencyKeys)
    .set({ statusCode, response })
    .where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)));
}

/** Forgets a claim whose request failed, so that the client's retry is answered anew. */
export async function releaseKey(db: Db, scope: string, key: string): Promise<void> {
  await db.delete(idempotencyKeys).where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)));
}
