import { eq, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { assessments, chatMessages } from './schema.js';
import type { TokenUsage } from '../llm/llm.js';

/** Tokens a session has cost: its tutor replies plus its grading calls. */
export async function sessionUsage(db: Db, sessionId: number): Promise<TokenUsage> {
  const totals = (table: typeof chatMessages | typeof assessments) =>
    db
      .select({
        promptTokens: sql<number>`coalesce(sum(${table.promptTokens}), 0)::int`,
        outputTokens: sql<number>`coalesce(sum(${table.outputTokens}), 0)::int`,
        cachedTokens: sql<number>`coalesce(sum(${table.cachedTokens}), 0)::int`,
      })
      .from(table)
      .where(eq(table.sessionId, sessionId));
  const [[replies], [grades]] = await Promise.all([totals(chatMessages), totals(assessments)]);
  return {
    promptTokens: replies!.promptTokens + grades!.promptTokens,
    outputTokens: replies!.outputTokens + grades!.outputTokens,
    cachedTokens: replies!.cachedTokens + grades!.cachedTokens,
  };
}
