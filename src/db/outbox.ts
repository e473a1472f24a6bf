import { and, asc, count, eq, inArray, isNull, lte, min, or, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { outbox, webhookEvents } from './schema.js';

export type OutboxRow = typeof outbox.$inferSelect;

/** A queue a dispatcher delivers from: the .NET notices, or the webhook's events. Both have the same delivery columns. */
export type DeliveryTable = typeof outbox | typeof webhookEvents;
/** A queued delivery, whichever queue it is in. */
export type DeliveryRow = OutboxRow;

/** Queues a .NET notice in the caller's transaction; a session's notice is queued once. */
export async function enqueue(tx: Db, sessionId: number, payload: Record<string, unknown>): Promise<void> {
  await tx.insert(outbox).values({ sessionId, payload }).onConflictDoNothing();
}

/** The delivery queries of one queue. */
export function deliveryQueue(table: DeliveryTable) {
  // The queries name only the delivery columns, which both tables have alike (schema.ts, deliveryColumns): typed
  // through one of them, they run on the table given.
  const q = table as typeof outbox;
  return {
    /**
     * Claims up to `limit` due rows for `leaseMs`: concurrent dispatchers (other instances) skip rows another has
     * locked or leased, so a row is worked on by one dispatcher at a time. A lease that runs out (a crash) frees it.
     */
    claimDue(db: Db, limit: number, leaseMs: number): Promise<DeliveryRow[]> {
      const due = db
        .select({ id: q.id })
        .from(q)
        .where(and(eq(q.status, 'pending'), lte(q.nextAttemptAt, sql`now()`), or(isNull(q.lockedUntil), lte(q.lockedUntil, sql`now()`))))
        .orderBy(asc(q.id))
        .limit(limit)
        .for('update', { skipLocked: true });
      return db
        .update(q)
        .set({ lockedUntil: sql`now() + ${leaseMs} * interval '1 millisecond'`, attempts: sql`${q.attempts} + 1` })
        .where(inArray(q.id, due))
        .returning();
    },

    async markDelivered(db: Db, id: number): Promise<void> {
      await db.update(q).set({ status: 'delivered', deliveredAt: sql`now()`, lockedUntil: null, lastError: null }).where(eq(q.id, id));
    },

    async scheduleRetry(db: Db, id: number, error: string, delayMs: number): Promise<void> {
      await db
        .update(q)
        .set({ nextAttemptAt: sql`now() + ${delayMs} * interval '1 millisecond'`, lockedUntil: null, lastError: error })
        .where(eq(q.id, id));
    },

    /** Pending rows queued longer ago than `maxAgeMs` become dead letters. */
    deadLetterExpired(db: Db, maxAgeMs: number): Promise<DeliveryRow[]> {
      return db
        .update(q)
        .set({ status: 'dead', lockedUntil: null })
        .where(and(eq(q.status, 'pending'), lte(q.queuedAt, sql`now() - ${maxAgeMs} * interval '1 millisecond'`)))
        .returning();
    },

    /** Puts dead letters (all, or one session's) back in the queue, with a fresh age. */
    requeueDead(db: Db, sessionId?: number): Promise<DeliveryRow[]> {
      return db
        .update(q)
        .set({ status: 'pending', queuedAt: sql`now()`, nextAttemptAt: sql`now()`, lockedUntil: null })
        .where(and(eq(q.status, 'dead'), sessionId === undefined ? undefined : eq(q.sessionId, sessionId)))
        .returning();
    },

    async backlog(db: Db): Promise<{ pending: number; dead: number; oldestPendingAgeSeconds: number | null }> {
      const rows = await db
        .select({ status: q.status, n: count(), oldest: min(q.queuedAt) })
        .from(q)
        .where(inArray(q.status, ['pending', 'dead']))
        .groupBy(q.status);
      const pending = rows.find((row) => row.status === 'pending');
      const oldest = pending?.oldest ? new Date(pending.oldest).getTime() : undefined;
      return {
        pending: pending?.n ?? 0,
        dead: rows.find((row) => row.status === 'dead')?.n ?? 0,
        oldestPendingAgeSeconds: oldest === undefined ? null : Math.max(0, Math.round((Date.now() - oldest) / 1000)),
      };
    },
  };
}

/** The .NET backend's notices. */
export const dotnetQueue = deliveryQueue(outbox);
/** The webhook's events. */
export const webhookQueue = deliveryQueue(webhookEvents);

/** The .NET notices' backlog (health, metrics). */
export const backlog = (db: Db) => dotnetQueue.backlog(db);
