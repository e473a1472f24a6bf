import { and, eq, lte, or, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { idempotencyKeys } from './schema.js';

export type IdempotencyRow = typeof idempotencyKeys.$inferSelect;

export interface KeyClaim {
  scope: string;
  key: string;
  requestHash: string;
  /** The claiming request's token: it alone renews, answers or frees the key. */
  owner: string;
  /** How long the claim holds without renewal. */
  leaseMs: number;
  /** How long the answer is kept for replays. */
  ttlMs: number;
}

// A key claimed by a release before leases (owner and locked_until null) holds for as long as that release's turn
// lease could last: its requests then fail, or answer, well within it.
const earlierReleaseHold = sql`interval '3 minutes'`;

/**
 * Claims `key` for a request. Returns undefined when this request has it: it is new, it had expired, or the request
 * that held it stopped renewing its claim (a crash, a lost connection) without answering, so this retry answers
 * instead. Otherwise returns the row of the request that has it: answered (to replay), or still being answered.
 */
export async function claimKey(db: Db, claim: KeyClaim): Promise<IdempotencyRow | undefined> {
  // The request holding the key may free it between the two statements below: then the claim is tried again.
  for (let attempt = 0; attempt < 3; attempt++) {
    const earlier = await tryClaim(db, claim);
    if (earlier !== 'freed meanwhile') return earlier;
  }
  throw new Error('an Idempotency-Key kept being claimed and freed by other requests');
}

async function tryClaim(db: Db, claim: KeyClaim): Promise<IdempotencyRow | undefined | 'freed meanwhile'> {
  const k = idempotencyKeys;
  const lease = sql`now() + ${claim.leaseMs} * interval '1 millisecond'`;
  const expires = sql`now() + ${claim.ttlMs} * interval '1 millisecond'`;
  const taken = await db
    .insert(k)
    .values({ scope: claim.scope, key: claim.key, requestHash: claim.requestHash, owner: claim.owner, lockedUntil: lease, expiresAt: expires })
    .onConflictDoUpdate({
      target: [k.scope, k.key],
      set: { requestHash: claim.requestHash, owner: claim.owner, lockedUntil: lease, statusCode: null, response: null, expiresAt: expires },
      setWhere: or(
        lte(k.expiresAt, sql`now()`),
        and(
          sql`${k.statusCode} is null`,
          eq(k.requestHash, claim.requestHash),
          lte(sql`coalesce(${k.lockedUntil}, ${k.createdAt} + ${earlierReleaseHold})`, sql`now()`),
        ),
      ),
    })
    .returning({ owner: k.owner });
  if (taken[0]?.owner === claim.owner) return undefined;
  const [existing] = await db.select().from(k).where(and(eq(k.scope, claim.scope), eq(k.key, claim.key)));
  return existing ?? 'freed meanwhile';
}

const owned = (scope: string, key: string, owner: string) =>
  and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key), eq(idempotencyKeys.owner, owner));

/** Extends the claim while its request runs; false when it is no longer this request's. */
export async function renewKey(db: Db, scope: string, key: string, owner: string, leaseMs: number): Promise<boolean> {
  const rows = await db
    .update(idempotencyKeys)
    .set({ lockedUntil: sql`now() + ${leaseMs} * interval '1 millisecond'` })
    .where(and(owned(scope, key, owner), sql`${idempotencyKeys.statusCode} is null`))
    .returning({ key: idempotencyKeys.key });
  return rows.length > 0;
}

/**
 * Records the answer, in the transaction that made it, so that the two commit together. False when the claim is no
 * longer this request's (it lapsed and a retry took it over): the caller must then roll its work back.
 */
export async function storeResponse(tx: Db, scope: string, key: string, owner: string, statusCode: number, response: unknown): Promise<boolean> {
  const rows = await tx
    .update(idempotencyKeys)
    .set({ statusCode, response, owner: null, lockedUntil: null })
    .where(owned(scope, key, owner))
    .returning({ key: idempotencyKeys.key });
  return rows.length > 0;
}

/** Frees a claim whose request failed, so that the client's retry is answered anew. */
export async function releaseKey(db: Db, scope: string, key: string, owner: string): Promise<void> {
  await db.delete(idempotencyKeys).where(and(owned(scope, key, owner), sql`${idempotencyKeys.statusCode} is null`));
}

/** Forgets up to `limit` answers past their time; returns how many. */
export async function purgeExpiredKeys(db: Db, limit: number): Promise<number> {
  const k = idempotencyKeys;
  const expired = db.select({ scope: k.scope, key: k.key }).from(k).where(lte(k.expiresAt, sql`now()`)).limit(limit);
  const rows = await db
    .delete(k)
    .where(sql`(${k.scope}, ${k.key}) in (${expired})`)
    .returning({ key: k.key });
  return rows.length;
}

/** The port the HTTP layer keeps idempotent answers through, bound to the database. */
export interface IdempotencyStore {
  claim(claim: KeyClaim): Promise<IdempotencyRow | undefined>;
  renew(scope: string, key: string, owner: string, leaseMs: number): Promise<boolean>;
  /** Records the answer in `tx`, the transaction of the work it answers. */
  answer(tx: Db, scope: string, key: string, owner: string, statusCode: number, response: unknown): Promise<boolean>;
  release(scope: string, key: string, owner: string): Promise<void>;
  purgeExpired(limit: number): Promise<number>;
}

export function idempotencyStore(db: Db): IdempotencyStore {
  return {
    claim: (claim) => claimKey(db, claim),
    renew: (scope, key, owner, leaseMs) => renewKey(db, scope, key, owner, leaseMs),
    answer: storeResponse,
    release: (scope, key, owner) => releaseKey(db, scope, key, owner),
    purgeExpired: (limit) => purgeExpiredKeys(db, limit),
  };
}
