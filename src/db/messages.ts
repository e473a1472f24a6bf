import { and, asc, desc, eq, ne, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { chatMessages } from './schema.js';

export type MessageRow = typeof chatMessages.$inferSelect;
export type NewMessage = Pick<MessageRow, 'role' | 'content'> & Partial<Pick<MessageRow, 'promptTokens' | 'outputTokens' | 'cachedTokens'>>;

/** Inserts messages in the given order; ids, and so conversation order, follow it. */
export async function insertMessages(
  tx: Db,
  sessionId: number,
  messages: NewMessage[],
): Promise<MessageRow[]> {
  return tx
    .insert(chatMessages)
    .values(messages.map((message) => ({ ...message, sessionId })))
    .returning();
}

/** The messages a learner may see, in conversation order: system messages are internal. */
export function visibleMessages(db: Db, sessionId: number): Promise<MessageRow[]> {
  return db
    .select()
    .from(chatMessages)
    .where(and(eq(chatMessages.sessionId, sessionId), ne(chatMessages.role, 'system')))
    .orderBy(asc(chatMessages.id));
}

/** The newest `limit` conversation messages, oldest first. */
export async function recentConversation(db: Db, sessionId: number, limit: number): Promise<MessageRow[]> {
  const newestFirst = await db
    .select()
    .from(chatMessages)
    .where(and(eq(chatMessages.sessionId, sessionId), ne(chatMessages.role, 'system')))
    .orderBy(desc(chatMessages.id))
    .limit(limit);
  return newestFirst.reverse();
}

/**
 * What a turn needs to know of a session's messages besides the recent ones, in one round trip: the system
 * prompt, how many conversation messages there are, and the newest message's id.
 */
export async function conversationFacts(db: Db, sessionId: number): Promise<{ system: string | undefined; length: number; lastId: number | null }> {
  const [row] = await db
    .select({
      system: sql<string | null>`(select ${chatMessages.content} from ${chatMessages} where ${chatMessages.sessionId} = ${sessionId} and ${chatMessages.role} = 'system' order by ${chatMessages.id} limit 1)`,
      length: sql<number>`count(*) filter (where ${chatMessages.role} <> 'system')`.mapWith(Number),
      lastId: sql<number | null>`max(${chatMessages.id})`,
    })
    .from(chatMessages)
    .where(eq(chatMessages.sessionId, sessionId));
  return { system: row?.system ?? undefined, length: row?.length ?? 0, lastId: row?.lastId ?? null };
}
