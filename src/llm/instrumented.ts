import type { Metrics } from '../metrics.js';
import type { LlmProvider, TokenUsage } from './llm.js';

/** The same provider, measured: call durations, errors by kind, and tokens by type. */
export function instrumentLlm(llm: LlmProvider, metrics: Metrics): LlmProvider {
  const labels = { provider: llm.name, model: llm.model };
  const countTokens = (usage: TokenUsage) => {
    metrics.llmTokens.inc({ ...labels, type: 'prompt' }, usage.promptTokens);
    metrics.llmTokens.inc({ ...labels, type: 'output' }, usage.outputTokens);
    metrics.llmTokens.inc({ ...labels, type: 'cached' }, usage.cachedTokens);
  };
  const failed = (call: string, error: unknown) =>
    metrics.llmErrors.inc({ provider: llm.name, call, kind: (error as { statusCode?: number }).statusCode?.toString() ?? (error as Error).name ?? 'unknown' });

  return {
    name: llm.name,
    model: llm.model,
    close: llm.close && (() => llm.close!()),
    async *respond(request) {
      const end = metrics.llmDuration.startTimer({ ...labels, call: 'respond' });
      try {
        for await (const event of llm.respond(request)) {
          if (event.type === 'finish') countTokens(event.usage);
          yield event;
        }
      } catch (error) {
        failed('respond', error);
        throw error;
      } finally {
        end();
      }
    },
    async grade(request) {
      const end = metrics.llmDuration.startTimer({ ...labels, call: 'grade' });
      try {
        const grade = await llm.grade(request);
        if (grade.usage) countTokens(grade.usage);
        return grade;
      } catch (error) {
        failed('grade', error);
        throw error;
      } finally {
        end();
      }
    },
  };
}
