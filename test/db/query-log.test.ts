import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/client.js';
import { recentConversation } from '../../src/db/messages.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

// The query log (LOG_LEVEL=trace) is what `npm run bench` replays: every statement, with its parameters, each time
// it is sent, on both drivers, through Drizzle's own logger.
describe('the query log', () => {
  let testDatabase: TestDatabase;
  let db: Db;
  const logged: { sql: string; params: unknown[] }[] = [];

  beforeAll(async () => {
    testDatabase = await createTestDatabase({ onQuery: (text, params) => logged.push({ sql: text, params }) });
    db = testDatabase.database.db;
  });
  afterAll(() => testDatabase?.drop());

  it('gives each statement with its parameters, every time it is sent, prepared or not', async () => {
    logged.length = 0;
    for (let i = 0; i < 2; i++) {
      await recentConversation(db, 7, 50);
      await db.execute(sql`select ${i}::integer as n`);
    }
    expect(logged).toHaveLength(4);
    const [window, oneOff] = logged;
    expect(window).toMatchObject({ sql: expect.stringContaining('"chat_messages"'), params: [7, 7, 50] });
    expect(oneOff).toEqual({ sql: 'select $1::integer as n', params: [0] });
    expect(logged[3]!.params).toEqual([1]);
    expect(logged[2]).toEqual(window);
  });
});
