import { and, asc, desc, eq, gt, lt, sql } from 'drizzle-orm';
import { preparedFor, type Db } from './client.js';
import { chatMessages, chatSessions, messageKinds, messageRole } from './schema.js';

export type MessageRow = typeof chatMessages.$inferSelect;
export type NewMessage = Pick<MessageRow, 'role' | 'content'> &
  Partial<Pick<MessageRow, 'promptTokens' | 'outputTokens' | 'cachedTokens'>> & {
    /** A learner's message as the turn took it (message_kinds). */
    kind?: (typeof messageKinds.$inferInsert)['kind'] | null;
  };

/**
 * Writes a new session's first messages, in the given order (ids, and so conversation order, follow it): its
 * system prompt at position 0, the conversation from position 1, counted into the session's
 * `conversationLength`. In a transaction, so that the two agree.
 */
export async function insertMessages(tx: Db, sessionId: number, messages: NewMessage[]): Promise<MessageRow[]> {
  let position = 0;
  const rows = await tx
    .insert(chatMessages)
    .values(messages.map((message) => ({ ...message, sessionId, position: message.role === 'system' ? 0 : ++position })))
    .returning();
  const conversational = conversationalCount(messages);
  if (conversational > 0) {
    await tx
      .update(chatSessions)
      .set({ conversationLength: sql`${chatSessions.conversationLength} + ${conversational}` })
      .where(eq(chatSessions.id, sessionId));
  }
  return rows;
}

const conversationalCount = (messages: NewMessage[]) => messages.filter((message) => message.role !== 'system').length;

/**
 * Ends a turn in one statement: gives back the session's turn lease and inserts the turn's messages, in order, after
 * the end of its conversation (counted into `conversationLength`), provided the session is still active and the
 * lease still `token`'s. Undefined when it is not: nothing is written. One statement, so that a turn that writes
 * nothing else needs no transaction: a round trip, where each one costs a turn its share of the pool under load.
 */
export async function saveTurnMessages(db: Db, sessionId: number, token: string, messages: NewMessage[]): Promise<MessageRow[] | undefined> {
  if (conversationalCount(messages) !== messages.length) throw new Error('a turn saves conversation messages only');
  const s = chatSessions;
  const m = chatMessages;
  const column = (col: { name: string }) => sql.identifier(col.name);
  // The messages as rows of a VALUES list, each with its place among them (1, 2, …).
  const values = sql.join(
    messages.map(
      (message, index) =>
        sql`(${index + 1}::integer, ${message.role}::text, ${message.content}::text, ${message.kind ?? null}::text, ${message.promptTokens ?? null}::integer, ${message.outputTokens ?? null}::integer, ${message.cachedTokens ?? null}::integer)`,
    ),
    sql`, `,
  );
  // The positions follow the conversation's end: `released` returns its new length.
  const result = (await db.execute(sql`
    with released as (
      update ${s} set ${column(s.turnLeaseUntil)} = null, ${column(s.turnLeaseToken)} = null,
        ${column(s.conversationLength)} = ${s.conversationLength} + ${messages.length}
      where ${s.id} = ${sessionId} and ${s.turnLeaseToken} = ${token} and ${s.status} = 'active'
      returning ${s.id} as id, ${s.conversationLength} as length
    )
    , inserted as (
      insert into ${m} (${column(m.sessionId)}, ${column(m.role)}, ${column(m.content)}, ${column(m.position)}, ${column(m.promptTokens)}, ${column(m.outputTokens)}, ${column(m.cachedTokens)})
      select released.id, v.role::${sql.identifier(messageRole.enumName)}, v.content, released.length - ${messages.length} + v.ord, v.prompt, v.output, v.cached
      from released cross join (values ${values}) as v(ord, role, content, kind, prompt, output, cached)
      order by v.ord
      returning ${column(m.id)} as id, ${column(m.sessionId)} as session_id, ${column(m.position)} as position, ${column(m.createdAt)} as created_at
    ), kinds as (
      insert into ${messageKinds} (${column(messageKinds.messageId)}, ${column(messageKinds.sessionId)}, ${column(messageKinds.kind)})
      select inserted.id, inserted.session_id, v.kind
      from inserted cross join released join (values ${values}) as v(ord, role, content, kind, prompt, output, cached)
        on inserted.position = released.length - ${messages.length} + v.ord
      where v.kind is not null
    )
    select id, position, created_at from inserted`)) as {
    rows: { id: number; position: number; created_at: Date | string }[];
  };
  if (result.rows.length === 0) return undefined;
  // The rows as the messages given, with what the database gave them: both drivers answer a raw statement with rows.
  const first = Math.min(...result.rows.map((row) => row.position));
  return result.rows
    .sort((a, b) => a.position - b.position)
    .map((row) => ({
      promptTokens: null,
      outputTokens: null,
      cachedTokens: null,
      ...messages[row.position - first]!,
      id: row.id,
      sessionId,
      position: row.position,
      createdAt: new Date(row.created_at),
    }));
}

/** A message as the API shows it, field for field: `timestamp` is ISO 8601 UTC, as `Date.toISOString` writes it. */
export interface VisibleMessage {
  id: number;
  role: Exclude<MessageRow['role'], 'system'>;
  content: string;
  timestamp: string;
}

/** Which messages to read: all of them, or the newest `limit` (older than message `before`). */
export interface MessagePage {
  limit?: number;
  before?: number;
}

/**
 * The messages a learner may see, in conversation order (the system prompt, at position 0, is internal), and where
 * the page before them starts when there is one.
 */
export async function visibleMessages(db: Db, sessionId: number, page: MessagePage = {}): Promise<{ messages: VisibleMessage[]; nextBefore: number | null }> {
  const { id, role, content, createdAt, position } = chatMessages;
  const paged = page.limit !== undefined;
  // A page reads one row more than it shows: its presence says an older page exists.
  const query = db
    .select({ id, role, content, createdAt })
    .from(chatMessages)
    .where(and(eq(chatMessages.sessionId, sessionId), gt(position, 0), page.before === undefined ? undefined : lt(id, page.before)))
    .orderBy(paged ? desc(position) : asc(position));
  const fetched = paged ? await query.limit(page.limit! + 1) : await query;
  const rows = paged ? fetched.slice(0, page.limit).reverse() : fetched;
  const messages = rows.map((row) => ({
    id: row.id,
    role: row.role as VisibleMessage['role'],
    content: row.content,
    timestamp: row.createdAt.toISOString(),
  }));
  return { messages, nextBefore: paged && fetched.length > page.limit! ? messages[0]!.id : null };
}

export type ConversationRow = Pick<MessageRow, 'id' | 'role' | 'content'>;

const turnReads = preparedFor((db) => {
  const sessionId = sql.placeholder('sessionId');
  return {
    // The bound is computed from the session row, in the statement: it depends on nothing but its parameters.
    window: db
      .select({ id: chatMessages.id, role: chatMessages.role, content: chatMessages.content })
      .from(chatMessages)
      .where(
        and(
          eq(chatMessages.sessionId, sessionId),
          gt(
            chatMessages.position,
            sql`greatest((select ${chatSessions.conversationLength} from ${chatSessions} where ${chatSessions.id} = ${sessionId}) - ${sql.placeholder('limit')}, 0)`,
          ),
        ),
      )
      .orderBy(chatMessages.position)
      .prepare('conversation_window'),
    system: db
      .select({ role: chatMessages.role, content: chatMessages.content })
      .from(chatMessages)
      .where(and(eq(chatMessages.sessionId, sessionId), eq(chatMessages.position, 0)))
      .prepare('system_prompt'),
  };
});

/**
 * The newest `limit` conversation messages, oldest first: only what a prompt needs of them (a turn reads these),
 * as the range of positions that ends the conversation.
 */
export async function recentConversation(db: Db, sessionId: number, limit: number): Promise<ConversationRow[]> {
  return turnReads(db).window.execute({ sessionId, limit });
}

/**
 * The session's system prompt, at position 0. Asked for by role instead ("the first system message"), the planner
 * cannot tell how far into the session one lies, and reads the whole conversation and sorts it on every turn.
 */
export async function systemPrompt(db: Db, sessionId: number): Promise<string | undefined> {
  const [row] = await turnReads(db).system.execute({ sessionId });
  return row?.role === 'system' ? row.content : undefined;
}

/** The latest turn's two messages, the learner's and the reply; undefined when the session has had no turn. */
export async function lastTurnMessages(db: Db, sessionId: number): Promise<{ learner: MessageRow; reply: MessageRow } | undefined> {
  const [reply, learner] = await db
    .select()
    .from(chatMessages)
    .where(and(eq(chatMessages.sessionId, sessionId), gt(chatMessages.position, 0)))
    .orderBy(desc(chatMessages.position))
    .limit(2);
  return reply?.role === 'assistant' && learner?.role === 'user' ? { learner, reply } : undefined;
}
