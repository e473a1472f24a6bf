import { and, asc, count, eq, inArray, isNull, lte, min, or, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { outbox } from './schema.js';

export type OutboxRow = typeof outbox.$inferSelect;

/** Queues a notice in the caller's transaction; a session's notice is queued once. */
export async function enqueue(tx: Db, sessionId: number, payload: Record<string, unknown>): Promise<void> {
  await tx.insert(outbox).values({ sessionId, payload }).onConflictDoNothing();
}

/**
 * Claims up to `limit` due rows for `leaseMs`: concurrent dispatchers (other instances) skip rows another has
 * locked or leased, so a row is worked on by one dispatcher at a time. A lease that runs out (a crash) frees it.
 */
export function claimDue(db: Db, limit: number, leaseMs: number): Promise<OutboxRow[]> {
  const due = db
    .select({ id: outbox.id })
    .from(outbox)
    .where(
      and(
        eq(outbox.status, 'pending'),
        lte(outbox.nextAttemptAt, sql`now()`),
        or(isNull(outbox.lockedUntil), lte(outbox.lockedUntil, sql`now()`)),
      ),
    )
    .orderBy(asc(outbox.id))
    .limit(limit)
    .for('update', { skipLocked: true });
  return db
    .update(outbox)
    .set({ lockedUntil: sql`now() + ${leaseMs} * interval '1 millisecond'`, attempts: sql`${outbox.attempts} + 1` })
    .where(inArray(outbox.id, due))
    .returning();
}

export async function markDelivered(db: Db, id: number): Promise<void> {
  await db.update(outbox).set({ status: 'delivered', deliveredAt: sql`now()`, lockedUntil: null, lastError: null }).where(eq(outbox.id, id));
}

export async function scheduleRetry(db: Db, id: number, error: string, delayMs: number): Promise<void> {
  await db
    .update(outbox)
    .set({ nextAttemptAt: sql`now() + ${delayMs} * interval '1 millisecond'`, lockedUntil: null, lastError: error })
    .where(eq(outbox.id, id));
}

/** Pending rows queued longer ago than `maxAgeMs` become dead letters. */
export function deadLetterExpired(db: Db, maxAgeMs: number): Promise<OutboxRow[]> {
  return db
    .update(outbox)
    .set({ status: 'dead', lockedUntil: null })
    .where(and(eq(outbox.status, 'pending'), lte(outbox.queuedAt, sql`now() - ${maxAgeMs} * interval '1 millisecond'`)))
    .returning();
}

/** Puts dead letters (all, or one session's) back in the queue, with a fresh age. */
export function requeueDead(db: Db, sessionId?: number): Promise<OutboxRow[]> {
  return db
    .update(outbox)
    .set({ status: 'pending', queuedAt: sql`now()`, nextAttemptAt: sql`now()`, lockedUntil: null })
    .where(and(eq(outbox.status, 'dead'), sessionId === undefined ? undefined : eq(outbox.sessionId, sessionId)))
    .returning();
}

export async function backlog(db: Db): Promise<{ pending: number; dead: number; oldestPendingAgeSeconds: number | null }> {
  const rows = await db
    .select({ status: outbox.status, n: count(), oldest: min(outbox.queuedAt) })
    .from(outbox)
    .where(inArray(outbox.status, ['pending', 'dead']))
    .groupBy(outbox.status);
  const pending = rows.find((row) => row.status === 'pending');
  const oldest = pending?.oldest ? new Date(pending.oldest).getTime() : undefined;
  return {
    pending: pending?.n ?? 0,
    dead: rows.find((row) => row.status === 'dead')?.n ?? 0,
    oldestPendingAgeSeconds: oldest === undefined ? null : Math.max(0, Math.round((Date.now() - oldest) / 1000)),
  };
}
