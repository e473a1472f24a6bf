import { sql, TransactionRollbackError } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recentConversation, systemPrompt } from '../../src/db/messages.js';
import type { Db } from '../../src/db/client.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

// A turn reads its prompt's parts on every message: what that reads must not grow with the conversation, whatever
// plan PostgreSQL picks. A pooled connection plans a prepared statement once it has run a few times, and keeps that
// plan while the table grows (nothing analyzes PGlite's tables, nor a server's with autovacuum off): the plans that
// matter are the ones made while the database was young.
describe("a turn's reads, planned on a young database, on a long conversation", () => {
  const conversation = 400;
  const sessions = 16;
  let testDatabase: TestDatabase;
  let db: Db;
  let sessionIds: number[];
  const statements: { sql: string; params: unknown[] }[] = [];

  beforeAll(async () => {
    testDatabase = await createTestDatabase({ onQuery: (text, params) => statements.push({ sql: text, params }) });
    db = testDatabase.database.db;
    const rows = await db.execute(sql`insert into chat_sessions (user_id, course_id, topic_id, conversation_length) select n, 2, 5, 1 from generate_series(1, ${sessions}::integer) as n returning id`);
    sessionIds = (rows as unknown as { rows: { id: number }[] }).rows.map((row) => row.id);
    await addMessages(db, 0, 1); // each session's system prompt and opening, as a session starts
  });
  afterAll(() => testDatabase?.drop());

  /** Messages at positions `from`…`to` of every session, interleaved as when learners talk at the same time. */
  async function addMessages(on: Db, from: number, to: number) {
    await on.execute(sql`update chat_sessions set conversation_length = ${to} where id = any(${`{${sessionIds.join(',')}}`}::integer[])`);
    await on.execute(sql`
      insert into chat_messages (session_id, position, role, content)
      select session_id, n, case when n = 0 then 'system'::message_role when n % 2 = 1 then 'assistant'::message_role else 'user'::message_role end,
        case when n = 0 then 'the prompt of session ' || session_id else 'message ' || n end
      from generate_series(${from}::integer, ${to}::integer) as n cross join unnest(${`{${sessionIds.join(',')}}`}::integer[]) as s(session_id)
      order by n, session_id`);
  }

  /**
   * Rows of chat_messages that `read`'s statement returns from its scans once the conversations are `conversation`
   * long, planned before they grew: as a plan for its parameters (`custom`) and for any (`generic`).
   */
  async function rowsRead(read: () => Promise<unknown>): Promise<Record<'custom' | 'generic', number>> {
    statements.length = 0;
    await read();
    const [{ sql: text, params }] = statements as [{ sql: string; params: unknown[] }];
    const values = params.map((param) => (typeof param === 'number' ? String(param) : `'${String(param).replaceAll("'", "''")}'`)).join(', ');
    const rows = { custom: 0, generic: 0 };
    for (const mode of ['custom', 'generic'] as const) {
      await db
        .transaction(async (tx) => {
          await tx.execute(sql.raw(`set local plan_cache_mode = force_${mode}_plan`));
          await tx.execute(sql.raw(`prepare turn_read as ${text}`));
          // Run while the conversations are short, as a pooled connection first runs it: the plan is made here.
          for (let i = 0; i < 6; i++) await tx.execute(sql.raw(`execute turn_read(${values})`));
          await addMessages(tx, 2, conversation);
          const result = await tx.execute(sql.raw(`explain (analyze, format json) execute turn_read(${values})`));
          const [{ 'QUERY PLAN': plan }] = (result as unknown as { rows: [{ 'QUERY PLAN': unknown }] }).rows;
          rows[mode] = scannedRows(typeof plan === 'string' ? JSON.parse(plan) : plan);
          await tx.execute(sql.raw('deallocate turn_read'));
          tx.rollback(); // the next mode starts young again
        })
        .catch((error: unknown) => {
          if (!(error instanceof TransactionRollbackError)) throw error;
        });
    }
    return rows;
  }

  it('finds the system prompt in one row', async () => {
    const [sessionId] = sessionIds as [number];
    expect(await systemPrompt(db, sessionId)).toBe(`the prompt of session ${sessionId}`);
    expect(await rowsRead(() => systemPrompt(db, sessionId))).toEqual({ custom: 1, generic: 1 });
  });

  it('reads no more of the history than the window it asks for', async () => {
    const [sessionId] = sessionIds as [number];
    const read = await rowsRead(() => recentConversation(db, sessionId, 50));
    expect(read.custom).toBeLessThanOrEqual(50);
    expect(read.generic).toBeLessThanOrEqual(50);
  });

  it('reads the newest messages of the window, oldest first', async () => {
    // A session of its own, 120 messages long: the other tests' sessions stay young.
    const created = await db.execute(sql`insert into chat_sessions (user_id, course_id, topic_id, conversation_length) values (99, 2, 5, 120) returning id`);
    const [{ id }] = (created as unknown as { rows: [{ id: number }] }).rows;
    await db.execute(sql`
      insert into chat_messages (session_id, position, role, content)
      select ${id}::integer, n, case when n = 0 then 'system'::message_role when n % 2 = 1 then 'assistant'::message_role else 'user'::message_role end,
        'message ' || n
      from generate_series(0, 120) as n`);
    const recent = await recentConversation(db, id, 50);
    expect(recent.map((message) => message.content)).toEqual(Array.from({ length: 50 }, (_, i) => `message ${71 + i}`));
  });
});

/** Rows returned by the plan's scans of chat_messages, summed over the tree. */
function scannedRows(explained: unknown): number {
  let rows = 0;
  const visit = (node: { 'Relation Name'?: string; 'Actual Rows'?: number; Plans?: unknown[] }) => {
    if (node['Relation Name'] === 'chat_messages') rows += node['Actual Rows'] ?? 0;
    for (const child of node.Plans ?? []) visit(child as typeof node);
  };
  visit((explained as [{ Plan: Parameters<typeof visit>[0] }])[0].Plan);
  return rows;
}
