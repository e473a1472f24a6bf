import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import type { TokenUsage } from '../llm/llm.js';
import { StartupError } from '../startup-error.js';

const usdPerMillion = z.number().min(0).max(10_000);

const priceSchema = z.strictObject({
  input: usdPerMillion,
  cachedInput: usdPerMillion,
  output: usdPerMillion,
  /** Where the price was published, and when: a price is a fact with a date, not a guess. */
  source: z.string().min(1),
  published: z.iso.date(),
});

export type ModelPrice = z.infer<typeof priceSchema>;
/** USD per million tokens, by model name as the provider spells it. */
export type PriceTable = Record<string, ModelPrice>;

const tableSchema = z.record(z.string().min(1), priceSchema);

/** A price table that cannot be read: start-up stops with the file and the field at fault. */
export class PriceTableError extends StartupError {}

/** The table of MODEL_PRICES_FILE (YAML or JSON, one entry per model), validated. */
export function loadPriceTable(file: string): PriceTable {
  let parsed: unknown;
  try {
    parsed = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new PriceTableError(`MODEL_PRICES_FILE ${file} cannot be read: ${(error as Error).message.split('\n')[0]}`);
  }
  const result = tableSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new PriceTableError(`MODEL_PRICES_FILE ${file}: ${issue.path.join('.') || 'the file'}: ${issue.message}`);
  }
  return result.data;
}

/**
 * What a call cost in USD, from its tokens: prompt tokens not served from the cache at the input price, cached ones
 * at the cached price, output at the output price. Null for a model the table has no price for: never a guess.
 */
export function costOf(prices: PriceTable, model: string, usage: TokenUsage): number | null {
  const price = Object.hasOwn(prices, model) ? prices[model] : undefined;
  if (!price) return null;
  const cached = Math.min(usage.cachedTokens, usage.promptTokens);
  const usd = ((usage.promptTokens - cached) * price.input + cached * price.cachedInput + usage.outputTokens * price.output) / 1_000_000;
  // The column keeps 8 decimals.
  return Math.round(usd * 1e8) / 1e8;
}
