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

/** Where the model calls of a session start or a turn go. */
export interface ModelCallLog {
  /** Records the calls, each with its cost from the price table (null without a price), in the saving transaction. */
  record(tx: Db, session: { id: number; userId: number; courseId: number }, calls: ModelCall[]): Promise<void>;
  /** Once that transaction committed: their prompt and output tokens go to `onSaved` (the budgets and their alert). */
  saved(calls: ModelCall[]): void;
}

export function createModelCallLog(prices: PriceTable, onSaved?: (tokens: number) => void): ModelCallLog {
  return {
    record: (tx, session, calls) =>
      insertModelCalls(
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
      ),
    saved(calls) {
      if (calls.length > 0) onSaved?.(calls.reduce((sum, { usage }) => sum + usage.promptTokens + usage.outputTokens, 0));
    },
  };
}
