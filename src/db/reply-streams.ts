import { and, desc, eq, inArray, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { chatSessions, replyStreams } from './schema.js';

export interface ReplyStreamWrite {
  turnId: string;
  sessionId: number;
  lease: string;
  /** The reply's whole text so far. */
  text: string;
}

export interface ReplyStreamOutcome {
  outcome: 'done' | 'error';
  /** The event's data, as sent. */
  data: string;
}

export interface ReplyStreamState {
  turnId: string;
  text: string;
  outcome: 'done' | 'error' | null;
  outcomeData: string | null;
  /** Whether the turn writing it still holds the session's lease: the reply goes on. */
  live: boolean;
}

/** A session as a reader of its replies sees it: its owner, whether a turn holds it, and the reply asked for. */
export interface SessionStreams {
  userId: number;
  turnInProgress: boolean;
  stream: ReplyStreamState | undefined;
}

const leaseLive = sql<boolean>`coalesce(${chatSessions.turnLeaseUntil} > now(), false)`;

/**
 * Writes the reply's text so far: the first write creates the row. A reply that has ended is not written again,
 * so a late write cannot undo its outcome.
 */
export async function writeReplyText(db: Db, write: ReplyStreamWrite): Promise<void> {
  await db
    .insert(replyStreams)
    .values(write)
    .onConflictDoUpdate({
      target: replyStreams.turnId,
      set: { text: write.text, updatedAt: sql`now()` },
      setWhere: isNull(replyStreams.outcome),
    });
}

/** Records how the reply ended, with its whole text: for `done`, in the transaction that saves the turn. */
export async function endReplyStream(db: Db, write: ReplyStreamWrite, end: ReplyStreamOutcome): Promise<void> {
  const values = { ...write, outcome: end.outcome, outcomeData: end.data };
  await db
    .insert(replyStreams)
    .values(values)
    .onConflictDoUpdate({
      target: replyStreams.turnId,
      set: { text: write.text, outcome: end.outcome, outcomeData: end.data, updatedAt: sql`now()` },
      setWhere: isNull(replyStreams.outcome),
    });
}

/**
 * The session's owner and turn state, with the reply of `turnId`, or without it the session's latest reply.
 * Undefined when the session does not exist.
 */
export async function readSessionStreams(db: Db, sessionId: number, turnId?: string): Promise<SessionStreams | undefined> {
  const s = chatSessions;
  const r = replyStreams;
  const [row] = await db
    .select({
      userId: s.userId,
      leaseToken: s.turnLeaseToken,
      leaseLive,
      turnId: r.turnId,
      lease: r.lease,
      text: r.text,
      outcome: r.outcome,
      outcomeData: r.outcomeData,
    })
    .from(s)
    .leftJoin(r, turnId === undefined ? eq(r.sessionId, s.id) : and(eq(r.sessionId, s.id), eq(r.turnId, turnId)))
    .where(eq(s.id, sessionId))
    .orderBy(desc(r.createdAt))
    .limit(1);
  if (!row) return undefined;
  const turnInProgress = row.leaseLive && row.leaseToken !== null;
  const stream =
    row.turnId === null
      ? undefined
      : {
          turnId: row.turnId,
          text: row.text!,
          outcome: row.outcome as ReplyStreamState['outcome'],
          outcomeData: row.outcomeData,
          live: turnInProgress && row.leaseToken === row.lease,
        };
  return { userId: row.userId, turnInProgress, stream };
}

/**
 * Deletes, `limit` at most, the replies that ended (or whose turn no longer holds its session) more than `graceMs`
 * ago; returns how many.
 */
export async function purgeReplyStreams(db: Db, graceMs: number, limit: number): Promise<number> {
  const r = replyStreams;
  const s = chatSessions;
  const ended = db
    .select({ turnId: r.turnId })
    .from(r)
    .innerJoin(s, eq(s.id, r.sessionId))
    .where(
      and(
        lt(r.updatedAt, sql`now() - ${graceMs} * interval '1 millisecond'`),
        or(isNotNull(r.outcome), sql`${s.turnLeaseToken} is distinct from ${r.lease}`, sql`not ${leaseLive}`),
      ),
    )
    .limit(limit);
  const rows = await db.delete(r).where(inArray(r.turnId, ended)).returning({ turnId: r.turnId });
  return rows.length;
}

/** Replies in progress and replies a reconnecting client may still ask for: what the HTTP layer keeps. */
export interface ReplyStreamStore {
  writeText(write: ReplyStreamWrite): Promise<void>;
  /** Records how the reply ended; in `tx` when given (the transaction that saves the turn). */
  end(write: ReplyStreamWrite, end: ReplyStreamOutcome, tx?: Db): Promise<void>;
  read(sessionId: number, turnId?: string): Promise<SessionStreams | undefined>;
  purge(graceMs: number, limit: number): Promise<number>;
}

export function replyStreamStore(db: Db): ReplyStreamStore {
  return {
    writeText: (write) => writeReplyText(db, write),
    end: (write, end, tx) => endReplyStream(tx ?? db, write, end),
    read: (sessionId, turnId) => readSessionStreams(db, sessionId, turnId),
    purge: (graceMs, limit) => purgeReplyStreams(db, graceMs, limit),
  };
}
