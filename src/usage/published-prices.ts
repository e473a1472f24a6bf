import type { PriceTable } from './prices.js';

// Google's published prices for the models the service uses by default (the tutor and the grader both default to
// gemini-2.5-flash) and their siblings, for prompts up to 200,000 tokens, standard (not batch) tier. USD per
// million tokens; "cached" is the price of prompt tokens served from the provider's cache. MODEL_PRICES_FILE
// replaces this table: a deployment whose prices differ (another provider, a negotiated rate) says so there.
const geminiPricing = 'https://ai.google.dev/gemini-api/docs/pricing';

export const publishedPrices: PriceTable = {
  'gemini-2.5-flash': { input: 0.3, cachedInput: 0.03, output: 2.5, source: geminiPricing, published: '2025-06-17' },
  'gemini-2.5-flash-lite': { input: 0.1, cachedInput: 0.01, output: 0.4, source: geminiPricing, published: '2025-07-22' },
  'gemini-2.5-pro': { input: 1.25, cachedInput: 0.125, output: 10, source: geminiPricing, published: '2025-06-17' },
};
