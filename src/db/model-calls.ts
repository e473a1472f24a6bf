import { and, eq, gte, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { modelCalls } from './schema.js';

export type NewModelCall = Omit<typeof modelCalls.$inferInsert, 'id' | 'createdAt'>;

export async function insertModelCalls(tx: Db, calls: NewModelCall[]): Promise<void> {
  if (calls.length > 0) await tx.insert(modelCalls).values(calls);
}

/** Prompt and output tokens of the calls made since `since`: a learner's, or everyone's. */
export async function tokensSince(db: Db, since: Date, userId?: number): Promise<number> {
  const [row] = await db
    .select({ tokens: sql<string>`coalesce(sum(${modelCalls.promptTokens} + ${modelCalls.outputTokens}), 0)` })
    .from(modelCalls)
    .where(and(gte(modelCalls.createdAt, since), userId === undefined ? undefined : eq(modelCalls.userId, userId)));
  return Number(row?.tokens ?? 0);
}
