import type { Db } from '../db/client.js';
import { insertModelCalls } from '../db/model-calls.js';
import type { TokenUsage } from '../llm/llm.js';
import { costOf, type PriceTable } from './prices.js';

/** One call to a model that a learner's turn caused. */
export interface ModelCall {
  kind: 'tutor' | 'grader' | 'moderation';
  model: string;
  usage: TokenUsage;
}

/** Records a turn's model calls, each with its cost from the price table (null without a price), in `tx`. */
export function recordModelCalls(
  tx: Db,
  prices: PriceTable,
  session: { id: number; userId: number; courseId: number },
  calls: ModelCall[],
): Promise<void> {
  return insertModelCalls(
    tx,
    calls.map(({ kind, model, usage }) => ({
      sessionId: session.id,
      userId: session.userId,
      courseId: session.courseId,
      kind,
      model,
      ...usage,
      costUsd: costOf(prices, model, usage),
    })),
  );
}

/** The prompt and output tokens of some calls, as budgets count them. */
export const tokensOf = (usages: TokenUsage[]): number => usages.reduce((sum, usage) => sum + usage.promptTokens + usage.outputTokens, 0);
