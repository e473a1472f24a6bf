import { and, eq, getTableColumns, gt, sql } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { preparedFor, type Db } from './client.js';
import { chatMessages, chatSessions, messageRole } from './schema.js';

export type MessageRow = typeof chatMessages.$inferSelect;
export type NewMessage = Pick<MessageRow, 'role' | 'content'> & Partial<Pick<MessageRow, 'promptTokens' | 'outputTokens' | 'cachedTokens'>>;

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

const messageColumns = getTableColumns(chatMessages);

/**
 * Ends a turn in one statement: gives back the session's turn lease and inserts the turn's messages, in order,
 * counted into its `conversationLength`, provided the session is still active and the lease still `token`'s.
 * Undefined when it is not: nothing is written.
 */
export async function saveTurnMessages(db: Db, sessionId: number, token: string, messages: NewMessage[]): Promise<MessageRow[] | undefined> {
  if (conversationalCount(messages) !== messages.length) throw new Error('a turn saves conversation messages only');
  const result = (await turnSave(db).execute({
    sessionId,
    token,
    roles: messages.map((message) => message.role),
    contents: messages.map((message) => message.content),
    promptTokens: messages.map((message) => message.promptTokens ?? null),
    outputTokens: messages.map((message) => message.outputTokens ?? null),
    cachedTokens: messages.map((message) => message.cachedTokens ?? null),
  })) as { rows: Record<string, unknown>[] }; // both drivers answer a raw statement with its rows under `rows`
  if (result.rows.length === 0) return undefined;
  // A raw statement's rows carry column names and driver values: mapped as Drizzle maps a select's.
  const saved = result.rows.map(
    (row) =>
      Object.fromEntries(
        Object.entries(messageColumns).map(([key, column]) => [key, row[column.name] === null ? null : column.mapFromDriverValue(row[column.name])]),
      ) as MessageRow,
  );
  return saved.sort((a, b) => a.id - b.id);
}

// The statement that ends every turn, prepared: each connection parses and plans it once. The messages arrive as one
// array a column, so that any number of them fits the one statement; the roles as text, as an enum's array type
// made by a migration is unknown to a PGlite opened before it ran. Drizzle's builders cannot feed an UPDATE in a
// WITH clause into an INSERT … SELECT, nor prepare a raw statement: it is written with its `sql` template, every name
// taken from the schema, and prepared through the handle's session, as its builders' `.prepare()` does.
const turnSave = preparedFor((db) => {
  const param = (name: string) => sql.placeholder(name);
  const name = (column: { name: string }) => sql.identifier(column.name);
  const count = sql`cardinality(${param('contents')}::text[])`;
  // The messages take the positions after the conversation's end: `released` returns its new length.
  const statement = sql`
    with released as (
      update ${chatSessions} set ${name(chatSessions.turnLeaseUntil)} = null, ${name(chatSessions.turnLeaseToken)} = null,
        ${name(chatSessions.conversationLength)} = ${chatSessions.conversationLength} + ${count}
      where ${chatSessions.id} = ${param('sessionId')} and ${chatSessions.turnLeaseToken} = ${param('token')} and ${chatSessions.status} = 'active'
      returning ${chatSessions.id}, ${chatSessions.conversationLength} as length
    )
    insert into ${chatMessages} (${name(messageColumns.sessionId)}, ${name(messageColumns.role)}, ${name(messageColumns.content)}, ${name(messageColumns.position)}, ${name(messageColumns.promptTokens)}, ${name(messageColumns.outputTokens)}, ${name(messageColumns.cachedTokens)})
    select released.id, m.role::${sql.identifier(messageRole.enumName)}, m.content, released.length - ${count} + m.ord::integer, m.prompt_tokens, m.output_tokens, m.cached_tokens
    from released cross join unnest(
      ${param('roles')}::text[], ${param('contents')}::text[],
      ${param('promptTokens')}::integer[], ${param('outputTokens')}::integer[], ${param('cachedTokens')}::integer[]
    ) with ordinality as m(role, content, prompt_tokens, output_tokens, cached_tokens, ord)
    order by m.ord
    returning ${sql.join(Object.values(messageColumns).map(name), sql`, `)}`;
  return db._.session.prepareQuery(new PgDialect().sqlToQuery(statement), undefined, 'save_turn_messages', false);
});

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
 * The messages a learner may see, in conversation order (system messages are internal), and where the page before
 * them starts when there is one. A conversation holds hundreds: they are read as plain rows, without Drizzle's
 * per-cell mapping, and their times as UTC text rewritten into ISO 8601 rather than parsed into Dates and formatted
 * back (BENCHMARKS.md, GET session).
 */
export async function visibleMessages(db: Db, sessionId: number, page: MessagePage = {}): Promise<{ messages: VisibleMessage[]; nextBefore: number | null }> {
  const { id, role, content, createdAt, position } = chatMessages;
  const paged = page.limit !== undefined;
  // A page reads one row more than it shows: its presence says an older page exists.
  const result = (await db.execute(sql`
    select ${id} as id, ${role} as role, ${content} as content, ${createdAt} at time zone 'UTC' as utc
    from ${chatMessages}
    where ${chatMessages.sessionId} = ${sessionId} and ${position} > 0
      ${page.before === undefined ? sql`` : sql`and ${id} < ${page.before}`}
    order by ${position} ${paged ? sql`desc limit ${page.limit! + 1}` : sql``}`)) as {
    rows: { id: number; role: VisibleMessage['role']; content: string; utc: string }[];
  };
  const rows = paged ? result.rows.slice(0, page.limit).reverse() : result.rows;
  const messages = rows.map((row) => ({ id: row.id, role: row.role, content: row.content, timestamp: isoFromUtc(row.utc) }));
  return { messages, nextBefore: paged && result.rows.length > page.limit! ? messages[0]!.id : null };
}

/**
 * PostgreSQL's text for a UTC `timestamp` under its default DateStyle, ISO (`2026-11-24 05:57:12.123456`, the
 * fraction 0–6 digits, trailing zeros dropped), as `Date.toISOString` writes it: `2026-11-24T05:57:12.123Z`.
 */
function isoFromUtc(text: string): string {
  const millis = text.length > 20 ? text.slice(20, 23).padEnd(3, '0') : '000';
  return `${text.slice(0, 10)}T${text.slice(11, 19)}.${millis}Z`;
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
 * could not tell how far into the session one lies, and it read the whole conversation and sorted it on every
 * turn (BENCHMARKS.md, Turns).
 */
export async function systemPrompt(db: Db, sessionId: number): Promise<string | undefined> {
  const [row] = await turnReads(db).system.execute({ sessionId });
  return row?.role === 'system' ? row.content : undefined;
}
