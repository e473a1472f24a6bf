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

describe("a session's conversation length", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(() => t?.close());

  const stored = async (sessionId: number) => {
    const { db } = t.testDatabase.database;
    const [session] = await db.select({ length: chatSessions.conversationLength }).from(chatSessions).where(eq(chatSessions.id, sessionId));
    const counted = await db.execute(sql`select count(*)::integer as n from chat_messages where session_id = ${sessionId} and role <> 'system'`);
    return { length: session!.length, counted: (counted as unknown as { rows: { n: number }[] }).rows[0]!.n };
  };

  it('is written with the messages: the opening, then every turn, answered questions included', async () => {
    const { id } = await startSession(t.app);
    expect(await stored(id)).toEqual({ length: 1, counted: 1 });
    let graded = 0;
    for (const message of ['What is a variable?', 'A named place for a value', 'I am not sure', 'Another example, please']) {
      graded = Number((await say(t.app, id, message)).progress.graded_answers);
    }
    expect(graded).toBeGreaterThan(0); // graded turns save in a transaction, with the grade and the next question
    expect(await stored(id)).toEqual({ length: 9, counted: 9 });
  });
});

describe('the migration that adds it', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'migrations-'));
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  it('counts the messages of the sessions started before it', async () => {
    // The migrations as they were before this one: the same files, the journal cut where it comes.
    const before = path.join(work, 'drizzle');
    await cp(migrationsFolder, before, { recursive: true });
    const journalFile = path.join(before, 'meta', '_journal.json');
    const journal = JSON.parse(await readFile(journalFile, 'utf8')) as { entries: { tag: string }[] };
    const added = journal.entries.findIndex((entry) => entry.tag === '0004_conversation_length');
    expect(added).toBeGreaterThan(0);
    journal.entries = journal.entries.slice(0, added);
    await writeFile(journalFile, JSON.stringify(journal));

    const client = await PGlite.create();
    const db = drizzle(client);
    await migrate(db, { migrationsFolder: before });
    await client.exec(`
      insert into chat_sessions (user_id, course_id, topic_id) values (1, 2, 5), (1, 2, 6);
      insert into chat_messages (session_id, role, content) values
        (1, 'system', 'prompt'), (1, 'assistant', 'hello'), (1, 'user', 'hi'), (1, 'assistant', 'answer'),
        (2, 'system', 'prompt'), (2, 'assistant', 'hello');`);
    await migrate(db, { migrationsFolder });
    const { rows } = await client.query<{ id: number; conversation_length: number }>('select id, conversation_length from chat_sessions order by id');
    expect(rows).toEqual([
      { id: 1, conversation_length: 3 },
      { id: 2, conversation_length: 1 },
    ]);
    await client.close();
  });
});
