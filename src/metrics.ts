import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const gaugeReadTimeoutMs = 1000;

/** The service's Prometheus metrics, in a registry of their own (scraped at /metrics). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP requests by route and status',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    llmDuration: new Histogram({
      name: 'llm_call_duration_seconds',
      help: 'LLM calls (tutor replies and grading) by provider and model',
      labelNames: ['provider', 'model', 'call'],
      buckets: [0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64],
      registers,
    }),
    llmErrors: new Counter({ name: 'llm_errors_total', help: 'Failed LLM calls by kind', labelNames: ['provider', 'call', 'kind'], registers }),
    llmTokens: new Counter({
      name: 'llm_tokens_total',
      help: 'LLM tokens by provider, model and type (prompt, output, cached)',
      labelNames: ['provider', 'model', 'type'],
      registers,
    }),
    llmCost: new Counter({
      name: 'llm_cost_usd_total',
      help: 'What LLM calls cost, in USD, by provider and model (models with a price in the price table)',
      labelNames: ['provider', 'model'],
      registers,
    }),
    safetyFlags: new Counter({
      name: 'safety_flags_total',
      help: 'Risks found in learner messages, by category, severity and source (rules or the moderation endpoint)',
      labelNames: ['category', 'severity', 'source'],
      registers,
    }),
    dotnetDuration: new Histogram({
      name: 'dotnet_call_duration_seconds',
      help: '.NET backend calls (each attempt) by endpoint and outcome',
      labelNames: ['endpoint', 'outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    dotnetRetries: new Counter({ name: 'dotnet_retries_total', help: 'Retries of .NET backend calls', registers }),
    turns: new Counter({ name: 'tutoring_turns_total', help: 'Learner messages answered', registers }),
    completions: new Counter({ name: 'tutoring_completions_total', help: 'Topics completed', registers }),
    /**
     * Gauges whose value is read when scraped: the caller supplies how. A read that fails or takes longer than a
     * second (the database away) leaves the gauge's last value: one gauge must not cost the whole scrape, least of
     * all during an outage, when the other metrics matter most.
     */
    gauge(name: string, help: string, read: (gauge: Gauge) => Promise<void> | void, labelNames: string[] = []) {
      return new Gauge({
        name,
        help,
        labelNames,
        registers,
        async collect() {
          let timer: NodeJS.Timeout | undefined;
          const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, gaugeReadTimeoutMs)));
          await Promise.race([Promise.resolve(read(this)).catch(() => {}), late]).finally(() => clearTimeout(timer));
        },
      });
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
