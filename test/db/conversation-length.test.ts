import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/pglite';
import { migrate } from 'drizzle-orm/pglite/migrator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationsFolder } from '../../src/db/migrate.js';
import { chatSessions } from '../../src/db/schema.js';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import { say, startSession } from '../support/requests.js';

describe("a session's conversation length, and its messages' positions", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(() => t?.close());

  const stored = async (sessionId: number) => {
    const { db } = t.testDatabase.database;
    const [session] = await db.select({ length: chatSessions.conversationLength }).from(chatSessions).where(eq(chatSessions.id, sessionId));
    const counted = await db.execute(sql`select count(*)::integer as n from chat_messages where session_id = ${sessionId} and role <> 'system'`);
    const placed = await db.execute(sql`select position from chat_messages where session_id = ${sessionId} order by id`);
    return {
      length: session!.length,
      counted: (counted as unknown as { rows: { n: number }[] }).rows[0]!.n,
      // Every message's position, in conversation order: the system prompt's 0, then 1 … length.
      positions: (placed as unknown as { rows: { position: number }[] }).rows.map((row) => row.position),
    };
  };
  const upTo = (length: number) => Array.from({ length: length + 1 }, (_, i) => i);

  it('is written with the messages: the opening, then every turn, answered questions included', async () => {
    const { id } = await startSession(t.app);
    expect(await stored(id)).toEqual({ length: 1, counted: 1, positions: upTo(1) });
    let graded = 0;
    for (const message of ['What is a variable?', 'A named place for a value', 'I am not sure', 'Another example, please']) {
      graded = Number((await say(t.app, id, message)).progress.graded_answers);
    }
    expect(graded).toBeGreaterThan(0); // graded turns save in a transaction, with the grade and the next question
    expect(await stored(id)).toEqual({ length: 9, counted: 9, positions: upTo(9) });
  });

  it('keeps every character of a message through the save, which sends the turn as arrays', async () => {
    const { id } = await startSession(t.app);
    const message = 'He said "hi", {a,b} \\ NULL\nnext line, ünïcödé ✓ 中文, \'quoted\' and a tab\t.';
    const turn = await say(t.app, id, message);
    const { messages } = (await t.app.inject({ url: `/api/sessions/${id}` })).json<{ messages: { id: number; content: string }[] }>();
    expect(messages.find((m) => m.id === turn.user_message_id)?.content).toBe(message);
    expect(messages.at(-1)).toMatchObject({ id: turn.message_id, content: turn.ai_message });
  });
});

describe('the migrations that add them', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'migrations-'));
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  /** A database migrated up to (not including) `tag`, holding two sessions' messages, then migrated to the end. */
  async function upgradedFrom(tag: string): Promise<PGlite> {
    // The migrations as they were before that one: the same files, the journal cut where it comes.
    const before = path.join(work, tag);
    await cp(migrationsFolder, before, { recursive: true });
    const journalFile = path.join(before, 'meta', '_journal.json');
    const journal = JSON.parse(await readFile(journalFile, 'utf8')) as { entries: { tag: string }[] };
    const added = journal.entries.findIndex((entry) => entry.tag === tag);
    expect(added).toBeGreaterThan(0);
    journal.entries = journal.entries.slice(0, added);
    await writeFile(journalFile, JSON.stringify(journal));

    const client = await PGlite.create();
    const db = drizzle(client);
    await migrate(db, { migrationsFolder: before });
    // Interleaved, as two learners' messages are.
    await client.exec(`
      insert into chat_sessions (user_id, course_id, topic_id) values (1, 2, 5), (1, 2, 6);
      insert into chat_messages (session_id, role, content) values
        (1, 'system', 'prompt'), (1, 'assistant', 'hello'), (2, 'system', 'prompt'), (1, 'user', 'hi'),
        (2, 'assistant', 'hello'), (1, 'assistant', 'answer');`);
    await migrate(db, { migrationsFolder });
    return client;
  }

  it('counts the messages of the sessions started before it', async () => {
    const client = await upgradedFrom('0004_conversation_length');
    const { rows } = await client.query<{ id: number; conversation_length: number }>('select id, conversation_length from chat_sessions order by id');
    expect(rows).toEqual([
      { id: 1, conversation_length: 3 },
      { id: 2, conversation_length: 1 },
    ]);
    await client.close();
  });

  it('places the messages written before positions existed, each session from 0', async () => {
    const client = await upgradedFrom('0005_message_position');
    const { rows } = await client.query<{ session_id: number; content: string; position: number }>(
      'select session_id, content, position from chat_messages order by session_id, id',
    );
    expect(rows).toEqual([
      { session_id: 1, content: 'prompt', position: 0 },
      { session_id: 1, content: 'hello', position: 1 },
      { session_id: 1, content: 'hi', position: 2 },
      { session_id: 1, content: 'answer', position: 3 },
      { session_id: 2, content: 'prompt', position: 0 },
      { session_id: 2, content: 'hello', position: 1 },
    ]);
    await client.close();
  });
});
