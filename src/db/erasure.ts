import { eq, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from './client.js';
import {
  assessments,
  chatMessages,
  chatSessions,
  erasureAudit,
  idempotencyKeys,
  messageKinds,
  modelCalls,
  outbox,
  replyStreams,
  safetyFlags,
  sessionContexts,
  topicCompletions,
  objectiveMastery,
  webhookEvents,
} from './schema.js';

export type DeletedCounts = Record<string, number>;

/**
 * Deletes the sessions `which` selects and every row that belongs to them, children first so that each table's
 * count is known: their stream records, flags, model calls, questions, messages, contexts, pending notices and events,
 * and the answers kept for their idempotent requests. Run it in a transaction.
 */
async function deleteSessions(tx: Db, which: SQL): Promise<DeletedCounts> {
  const ids = tx.select({ id: chatSessions.id }).from(chatSessions).where(which);
  const count = async (deleting: Promise<unknown[]>) => (await deleting).length;
  // A request to one of the sessions' routes: its scope ends with the route's parameters, {"id":<session>}. The id is
  // read from each key once, and looked up among the sessions' (one pass over the keys, however many sessions).
  const keyOfSession = sql`substring(${idempotencyKeys.scope} from ' \{"id":([0-9]{1,10})\}$')::bigint in (${ids})`;
  return {
    idempotency_keys: await count(
      tx
        .delete(idempotencyKeys)
        .where(or(keyOfSession, sql`(${idempotencyKeys.response} ->> 'session_id')::int in (${ids})`, sql`(${idempotencyKeys.response} ->> 'id')::int in (${ids}) and ${idempotencyKeys.scope} like '% /api/sessions/start %'`))
        .returning({ key: idempotencyKeys.key }),
    ),
    reply_streams: await count(tx.delete(replyStreams).where(inArray(replyStreams.sessionId, ids)).returning({ id: replyStreams.turnId })),
    safety_flags: await count(tx.delete(safetyFlags).where(inArray(safetyFlags.sessionId, ids)).returning({ id: safetyFlags.id })),
    model_calls: await count(tx.delete(modelCalls).where(inArray(modelCalls.sessionId, ids)).returning({ id: modelCalls.id })),
    assessments: await count(tx.delete(assessments).where(inArray(assessments.sessionId, ids)).returning({ id: assessments.id })),
    message_kinds: await count(tx.delete(messageKinds).where(inArray(messageKinds.sessionId, ids)).returning({ id: messageKinds.messageId })),
    chat_messages: await count(tx.delete(chatMessages).where(inArray(chatMessages.sessionId, ids)).returning({ id: chatMessages.id })),
    session_contexts: await count(tx.delete(sessionContexts).where(inArray(sessionContexts.sessionId, ids)).returning({ id: sessionContexts.sessionId })),
    outbox: await count(tx.delete(outbox).where(inArray(outbox.sessionId, ids)).returning({ id: outbox.id })),
    webhook_events: await count(tx.delete(webhookEvents).where(inArray(webhookEvents.sessionId, ids)).returning({ id: webhookEvents.id })),
    chat_sessions: await count(tx.delete(chatSessions).where(which).returning({ id: chatSessions.id })),
  };
}

/** Everything the service holds about a learner, deleted in `tx`, with the erasure recorded; the rows deleted, by table. */
export async function eraseLearner(tx: Db, userId: number, audit: { erasedBy: string; userIdHash: string; salt: string }): Promise<DeletedCounts> {
  const deleted = await deleteSessions(tx, eq(chatSessions.userId, userId));
  // What is theirs beyond their sessions: their progress and mastery, events about them, idempotent requests made with their token.
  const more = {
    topic_completions: (await tx.delete(topicCompletions).where(eq(topicCompletions.userId, userId)).returning({ id: topicCompletions.id })).length,
    objective_mastery: (await tx.delete(objectiveMastery).where(eq(objectiveMastery.userId, userId)).returning({ id: objectiveMastery.objectiveId })).length,
    webhook_events: (await tx.delete(webhookEvents).where(eq(webhookEvents.userId, userId)).returning({ id: webhookEvents.id })).length,
    idempotency_keys: (
      await tx
        .delete(idempotencyKeys)
        .where(or(sql`${idempotencyKeys.scope} like ${`user:${userId} %`}`, sql`(${idempotencyKeys.response} ->> 'user_id')::int = ${userId}`))
        .returning({ key: idempotencyKeys.key })
    ).length,
    model_calls: (await tx.delete(modelCalls).where(eq(modelCalls.userId, userId)).returning({ id: modelCalls.id })).length,
    safety_flags: (await tx.delete(safetyFlags).where(eq(safetyFlags.userId, userId)).returning({ id: safetyFlags.id })).length,
  };
  for (const [table, n] of Object.entries(more)) deleted[table] = (deleted[table] ?? 0) + n;
  await tx.insert(erasureAudit).values({ ...audit, deleted });
  return deleted;
}

/** Sessions started before `before`, `limit` at a time, deleted with everything that belongs to them. */
export async function purgeSessionsStartedBefore(tx: Db, before: Date, limit: number): Promise<DeletedCounts> {
  const oldest = tx.select({ id: chatSessions.id }).from(chatSessions).where(lt(chatSessions.startedAt, before)).orderBy(chatSessions.startedAt, chatSessions.id).limit(limit);
  return deleteSessions(tx, inArray(chatSessions.id, oldest));
}
