import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/client.js';
import { recentConversation } from '../../src/db/messages.js';
import { createTestDatabase, testDatabaseUrl, type TestDatabase } from '../support/test-database.js';

// The query log is what `npm run bench` replays: it must say how each statement was sent, prepared or not, or the
// replay would make PostgreSQL parse and plan what the service's connections parse and plan once.
describe('the query log', () => {
  let testDatabase: TestDatabase;
  let db: Db;
  const logged: { sql: string; params: unknown[]; name?: string }[] = [];

  beforeAll(async () => {
    testDatabase = await createTestDatabase({ onQuery: (text, params, name) => logged.push({ sql: text, params, name }) });
    db = testDatabase.database.db;
  });
  afterAll(() => testDatabase?.drop());

  it('gives each statement with its parameters, every time it is sent, and a prepared one under its name on PostgreSQL', async () => {
    logged.length = 0;
    for (let i = 0; i < 2; i++) {
      await recentConversation(db, 7, 50);
      await db.execute(sql`select ${i}::integer as n`);
    }
    expect(logged).toHaveLength(4);
    const [window, oneOff] = logged;
    expect(window).toMatchObject({ sql: expect.stringContaining('"chat_messages"'), params: [7, 7, 50] });
    expect(oneOff).toMatchObject({ sql: 'select $1::integer as n', params: [0], name: undefined });
    expect(logged[3]!.params).toEqual([1]);
    // PGlite prepares nothing by name: its statements are logged as Drizzle sends them.
    expect(window!.name).toBe(testDatabaseUrl ? 'conversation_window' : undefined);
    expect(logged[2]).toEqual(window);
  });
});
