import { and, asc, count, desc, eq, max, ne } from 'drizzle-orm';
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

export async function conversationLength(db: Db, sessionId: number): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(chatMessages)
    .where(and(eq(chatMessages.sessionId, sessionId), ne(chatMessages.role, 'system')));
  return row?.n ?? 0;
}

export async function systemPrompt(db: Db, sessionId: number): Promise<string | undefined> {
  const [row] = await db
    .select({ content: chatMessages.content })
    .from(chatMessages)
    .where(and(eq(chatMessages.sessionId, sessionId), eq(chatMessages.role, 'system')))
    .orderBy(asc(chatMessages.id))
    .limit(1);
  return row?.content;
}

export async function lastMessageId(db: Db, sessionId: number): Promise<number | null> {
  const [row] = await db
    .select({ id: max(chatMessages.id) })
    .from(chatMessages)
    .where(eq(chatMessages.sessionId, sessionId));
  return row?.id ?? null;
}
