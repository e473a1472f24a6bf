import type { Metrics } from '../metrics.js';
import { costOf, type PriceTable } from '../usage/prices.js';
import type { LanguageModel, TokenUsage } from './llm.js';

/**
 * The same model, measured: each call's duration (`call` is `text` for a reply, `object` for a structured answer
 * such as a grade), errors by kind, tokens by type, and what the calls cost (for models with a price).
 */
export function instrumentModel(model: LanguageModel, metrics: Metrics, prices: PriceTable): LanguageModel {
  const countTokens = (labels: { provider: string; model: string }, usage: TokenUsage) => {
    metrics.llmTokens.inc({ ...labels, type: 'prompt' }, usage.promptTokens);
    metrics.llmTokens.inc({ ...labels, type: 'output' }, usage.outputTokens);
    metrics.llmTokens.inc({ ...labels, type: 'cached' }, usage.cachedTokens);
    const cost = costOf(prices, labels.model, usage);
    if (cost !== null) metrics.llmCost.inc(labels, cost);
  };
  const failed = (call: string, error: unknown) =>
    metrics.llmErrors.inc({
      provider: model.provider,
      call,
      kind: (error as { statusCode?: number }).statusCode?.toString() ?? (error as Error).name ?? 'unknown',
    });

  return {
    provider: model.provider,
    async *generateText(request) {
      const labels = { provider: model.provider, model: request.model };
      const end = metrics.llmDuration.startTimer({ ...labels, call: 'text' });
      try {
        for await (const event of model.generateText(request)) {
          if (event.type === 'finish') countTokens(labels, event.usage);
          yield event;
        }
      } catch (error) {
        failed('text', error);
        throw error;
      } finally {
        end();
      }
    },
    async generateObject(request) {
      const labels = { provider: model.provider, model: request.model };
      const end = metrics.llmDuration.startTimer({ ...labels, call: 'object' });
      try {
        const answer = await model.generateObject(request);
        countTokens(labels, answer.usage);
        return answer;
      } catch (error) {
        failed('object', error);
        throw error;
      } finally {
        end();
      }
    },
  };
}
