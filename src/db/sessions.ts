import { and, count, desc, eq, isNull, lt, lte, or, sql } from 'drizzle-orm';
import { preparedFor, type Db } from './client.js';
import { chatMessages, chatSessions, sessionContexts } from './schema.js';

export type SessionRow = typeof chatSessions.$inferSelect;
export type ContextRow = typeof sessionContexts.$inferSelect;
export type NewContext = Omit<typeof sessionContexts.$inferInsert, 'sessionId' | 'createdAt'>;

export async function insertSession(
  tx: Db,
  session: Pick<SessionRow, 'userId' | 'courseId' | 'topicId'>,
  context: NewContext,
): Promise<SessionRow> {
  const [row] = await tx.insert(chatSessions).values(session).returning();
  await tx.insert(sessionContexts).values({ ...context, sessionId: row!.id });
  return row!;
}

// Read whenever a turn is refused, to tell why, and to abandon a session: built once.
const withContext = preparedFor((db) =>
  db
    .select({ session: chatSessions, context: sessionContexts })
    .from(chatSessions)
    .innerJoin(sessionContexts, eq(sessionContexts.sessionId, chatSessions.id))
    .where(eq(chatSessions.id, sql.placeholder('sessionId')))
    .prepare('session_with_context'),
);

export async function findSessionWithContext(
  db: Db,
  sessionId: number,
): Promise<{ session: SessionRow; context: ContextRow } | undefined> {
  const [row] = await withContext(db).execute({ sessionId });
  return row;
}

export async function completeSession(tx: Db, sessionId: number, completedAt: Date): Promise<void> {
  await tx.update(chatSessions).set({ status: 'completed', completedAt }).where(eq(chatSessions.id, sessionId));
}

export interface TurnLease {
  token: string;
  /** How long it holds without renewal. */
  leaseMs: number;
  /** The session takes a turn only while its conversation, with the turn's two messages, stays within this many. */
  maxMessages: number;
}

/**
 * Takes the session for one turn, across instances, without holding a lock while the LLM answers, and returns it
 * with its context in the same statement. The lease ends with the turn, or `leaseMs` after its last renewal.
 * Undefined when it was not taken (missing, someone else's with `ownerId`, not active, full, or another turn holds
 * it): the caller tells which.
 */
export async function leaseSessionForTurn(
  db: Db,
  sessionId: number,
  ownerId: number | undefined,
  lease: TurnLease,
): Promise<{ session: SessionRow; context: ContextRow } | undefined> {
  const statements = leaseStatements(db);
  const params = { sessionId, token: lease.token, leaseMs: lease.leaseMs, maxBefore: lease.maxMessages - 2 };
  const [row] = ownerId === undefined ? await statements.any.execute(params) : await statements.owned.execute({ ...params, ownerId });
  return row;
}

/** Extends a turn's lease while the turn runs; false when the turn no longer holds it. */
export async function renewTurnLease(db: Db, sessionId: number, token: string, leaseMs: number): Promise<boolean> {
  const rows = await db
    .update(chatSessions)
    .set({ turnLeaseUntil: sql`now() + ${leaseMs} * interval '1 millisecond'` })
    .where(and(eq(chatSessions.id, sessionId), eq(chatSessions.turnLeaseToken, token)))
    .returning({ id: chatSessions.id });
  return rows.length > 0;
}

const leaseStatements = preparedFor((db) => {
  const lease = (owned: boolean, name: string) =>
    db
      .update(chatSessions)
      .set({
        turnLeaseUntil: sql`now() + ${sql.placeholder('leaseMs')} * interval '1 millisecond'`,
        turnLeaseToken: sql`${sql.placeholder('token')}`,
      })
      .from(sessionContexts)
      .where(
        and(
          eq(chatSessions.id, sql.placeholder('sessionId')),
          eq(sessionContexts.sessionId, chatSessions.id),
          owned ? eq(chatSessions.userId, sql.placeholder('ownerId')) : undefined,
          eq(chatSessions.status, 'active'),
          lte(chatSessions.conversationLength, sql`${sql.placeholder('maxBefore')}`),
          or(isNull(chatSessions.turnLeaseUntil), lte(chatSessions.turnLeaseUntil, sql`now()`)),
        ),
      )
      .returning({ session: chatSessions, context: sessionContexts })
      .prepare(name);
  return { any: lease(false, 'lease_session'), owned: lease(true, 'lease_owned_session') };
});

export async function releaseTurnLease(db: Db, sessionId: number, token: string): Promise<void> {
  await db
    .update(chatSessions)
    .set({ turnLeaseUntil: null, turnLeaseToken: null })
    .where(and(eq(chatSessions.id, sessionId), eq(chatSessions.turnLeaseToken, token)));
}

/** Marks an active session abandoned; undefined when it was not active. */
export async function abandonSession(db: Db, sessionId: number): Promise<SessionRow | undefined> {
  const [row] = await db
    .update(chatSessions)
    .set({ status: 'abandoned' })
    .where(and(eq(chatSessions.id, sessionId), eq(chatSessions.status, 'active')))
    .returning();
  return row;
}

/** Abandons active sessions without a message for `idleMs` and no turn in progress; returns their ids. */
export async function abandonIdleSessions(db: Db, idleMs: number): Promise<number[]> {
  const lastActivity = sql`coalesce((select max(${chatMessages.createdAt}) from ${chatMessages} where ${chatMessages.sessionId} = ${chatSessions.id}), ${chatSessions.startedAt})`;
  const rows = await db
    .update(chatSessions)
    .set({ status: 'abandoned' })
    .where(
      and(
        eq(chatSessions.status, 'active'),
        or(isNull(chatSessions.turnLeaseUntil), lte(chatSessions.turnLeaseUntil, sql`now()`)),
        lt(lastActivity, sql`now() - ${idleMs} * interval '1 millisecond'`),
      ),
    )
    .returning({ id: chatSessions.id });
  return rows.map((row) => row.id);
}

/** A user's sessions, newest first, `limit` at a time; `before` is the last id of the previous page. */
export function userSessions(db: Db, userId: number, limit: number, before?: number): Promise<SessionRow[]> {
  return db
    .select()
    .from(chatSessions)
    .where(and(eq(chatSessions.userId, userId), before === undefined ? undefined : lt(chatSessions.id, before)))
    .orderBy(desc(chatSessions.id))
    .limit(limit);
}

export async function countActiveSessions(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(chatSessions).where(eq(chatSessions.status, 'active'));
  return row?.n ?? 0;
}
