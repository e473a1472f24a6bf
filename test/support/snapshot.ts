import { count } from 'drizzle-orm';
import type { Db } from '../../src/db/client.js';
import { assessments, chatMessages, chatSessions, idempotencyKeys, outbox, sessionContexts, topicCompletions } from '../../src/db/schema.js';

/** Row counts of every table: a request that must change nothing leaves them equal. */
export async function rowCounts(db: Db): Promise<Record<string, number>> {
  const tables = { chatSessions, chatMessages, sessionContexts, assessments, topicCompletions, outbox, idempotencyKeys };
  const entries = await Promise.all(
    Object.entries(tables).map(async ([name, table]) => {
      const [row] = await db.select({ n: count() }).from(table);
      return [name, row!.n] as const;
    }),
  );
  return Object.fromEntries(entries);
}
