import type { RiskCategory, RiskFlag, Severity } from './risk-rules.js';

export interface ModerationEndpointConfig {
  /** An OpenAI-compatible API root: POST {baseUrl}/moderations. */
  baseUrl: string;
  apiKey: string | undefined;
  model: string;
  timeoutMs: number;
}

// The OpenAI moderation categories, as the service's own.
const categoryOf: Record<string, RiskCategory> = {
  'self-harm': 'self_harm',
  'self-harm/intent': 'self_harm',
  'self-harm/instructions': 'self_harm',
  violence: 'violence',
  'violence/graphic': 'violence',
  sexual: 'sexual',
  'sexual/minors': 'sexual',
  harassment: 'harassment',
  'harassment/threatening': 'harassment',
  hate: 'harassment',
  'hate/threatening': 'harassment',
};

// Categories that say intent or a threat: flagged, they are high.
const highWhenFlagged = new Set(['self-harm/intent', 'self-harm/instructions', 'sexual/minors', 'harassment/threatening', 'hate/threatening']);

interface ModerationResult {
  categories?: Record<string, boolean>;
  category_scores?: Record<string, number>;
}

/** Calls an OpenAI-compatible moderation endpoint; the flags it raises, by the service's categories and severities. */
export function moderationEndpoint(config: ModerationEndpointConfig) {
  return async (text: string): Promise<RiskFlag[]> => {
    const response = await fetch(`${config.baseUrl.replace(/\/+$/, '')}/moderations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {}) },
      body: JSON.stringify({ model: config.model, input: text }),
      signal: AbortSignal.timeout(config.timeoutMs),
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`the moderation endpoint answered ${response.status}`);
    }
    const body = (await response.json()) as { results?: ModerationResult[] };
    const result = body.results?.[0];
    if (!result?.categories) throw new Error('the moderation endpoint answered without results');
    const rank = { low: 0, medium: 1, high: 2 };
    const found = new Map<RiskCategory, Severity>();
    for (const [name, flagged] of Object.entries(result.categories)) {
      const category = categoryOf[name];
      if (!flagged || !category) continue;
      const score = result.category_scores?.[name] ?? 0;
      const severity: Severity = highWhenFlagged.has(name) || score >= 0.8 ? 'high' : 'medium';
      const known = found.get(category);
      if (!known || rank[severity] > rank[known]) found.set(category, severity);
    }
    return [...found].map(([category, severity]) => ({ category, severity }));
  };
}
