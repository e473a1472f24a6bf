import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  DelegateBackoff,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
  wrap,
  type IRetryBackoffContext,
} from 'cockatiel';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { DotnetConfig } from '../config.js';
import { canonicalLanguage } from '../language.js';

/** Why a .NET call failed: the caller answers 404, 503, or logs a contract problem accordingly. */
export class DotnetError extends Error {
  constructor(
    readonly kind: 'not_found' | 'unavailable' | 'circuit_open' | 'rejected' | 'contract',
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'DotnetError';
  }

  /** Connection errors, timeouts, 408, 429 and 5xx: worth another attempt (an open circuit is not). */
  get retryable(): boolean {
    return this.kind === 'unavailable';
  }
}

// ASP.NET emits camelCase or PascalCase depending on its serializer settings: keys are matched case-insensitively.
const lowerKeys = (value: unknown) =>
  value && typeof value === 'object' && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value).map(([key, entry]) => [key.toLowerCase(), entry]))
    : value;

const userContextSchema = z.preprocess(
  lowerKeys,
  z.object({
    userlevel: z.string().min(1),
    completedtopicids: z.array(z.number().int()).default([]),
    struggletopics: z.array(z.string()).default([]),
    // Optional in the contract: a context without it, or with a tag that is not BCP 47, has no language.
    language: z
      .string()
      .nullish()
      .transform((tag) => (tag ? canonicalLanguage(tag) : undefined)),
  }),
);

const topicSchema = z.preprocess(
  lowerKeys,
  z.object({
    id: z.number().int(),
    title: z.string().min(1),
    description: z.string().nullish(),
    prompttemplate: z.string().nullish(),
    courseid: z.number().int(),
    coursetitle: z.string().min(1),
    learningobjectives: z.string().nullish(),
  }),
);

export type DotnetUserContext = { userLevel: string; completedTopicIds: number[]; struggleTopics: string[]; language?: string };
export type DotnetTopic = z.infer<typeof topicSchema>;
export type CircuitStatus = 'closed' | 'open' | 'half-open';

/** Whether the backend answered lately: any HTTP answer, even an error status, shows it reachable. */
export interface Reachability {
  reachable: boolean;
  /** Why not, when not. */
  detail?: string;
}

/** Outcomes older than this do not tell health about the backend: it is probed instead. */
const outcomeFreshMs = 30_000;

export type DotnetClient = ReturnType<typeof createDotnetClient>;

/**
 * The .NET backend's HTTP API. Reads retry (connection errors, timeouts, 408, 429 honouring Retry-After,
 * 5xx) with capped exponential backoff and jitter; every call has a timeout per attempt; a circuit breaker
 * shared by all calls fails fast while the backend is down. Completion notices make one attempt per call:
 * the outbox retries them.
 */
export interface DotnetObserver {
  attempt(endpoint: string, seconds: number, outcome: string): void;
  retry(): void;
}

export function createDotnetClient(
  config: DotnetConfig,
  log: Logger,
  requestId: () => string | undefined = () => undefined,
  observe?: DotnetObserver,
) {
  const { retry: retryConfig } = config;
  // Timeouts count as failures too: they reach the breaker as the timeout policy's own error.
  const breaker = circuitBreaker(
    handleWhen((error) => (error instanceof DotnetError && error.retryable) || error instanceof TaskCancelledError),
    { halfOpenAfter: config.breaker.halfOpenAfterMs, breaker: new ConsecutiveBreaker(config.breaker.consecutiveFailures) },
  );
  breaker.onStateChange((state) => log.warn({ circuit: circuitStatus(state) }, '.NET backend circuit breaker changed state'));
  const perAttempt = wrap(breaker, timeout(config.timeoutMs, TimeoutStrategy.Aggressive));
  const withRetries = retry(
    handleWhen((error) => error instanceof DotnetError && error.retryable),
    {
      maxAttempts: retryConfig.attempts,
      backoff: new DelegateBackoff<IRetryBackoffContext<unknown>>((context) => {
        const exponential = retryConfig.baseDelayMs * retryConfig.exponentialBase ** (context.attempt - 1);
        const jittered = exponential * (0.8 + Math.random() * 0.4);
        const error = 'error' in context.result ? context.result.error : undefined;
        const asked = error instanceof DotnetError ? error.retryAfterMs : undefined;
        return Math.min(retryConfig.maxDelayMs, asked ?? jittered);
      }),
    },
  );

  withRetries.onRetry(() => observe?.retry());

  // The latest outcome of a call (or probe) at the network level, for health and readiness.
  let latest: (Reachability & { at: number }) | undefined;
  const noteOutcome = (error: unknown) => {
    const failure = error === undefined ? undefined : toDotnetError(error);
    // No answer at all (refused, reset, timed out); a status or a body we could not read is an answer.
    const unreachable = failure?.kind === 'unavailable' && failure.status === undefined;
    latest = { reachable: !unreachable, detail: unreachable ? failure.message : undefined, at: Date.now() };
  };
  let probing: Promise<Reachability> | undefined;
  const probe = async (timeoutMs: number): Promise<Reachability> => {
    try {
      // Any path will do: an answer of any status shows the backend is there. Not through the breaker or retries.
      const response = await fetch(`${config.baseUrl}/`, { signal: AbortSignal.timeout(timeoutMs), headers: apiKeyHeader() });
      await response.body?.cancel();
      noteOutcome(undefined);
    } catch (error) {
      noteOutcome(error instanceof Error && error.name === 'TimeoutError' ? new DotnetError('unavailable', `no answer within ${timeoutMs} ms`) : error);
    }
    return latest!;
  };

  async function call(endpoint: string, method: 'GET' | 'POST', path: string, body: unknown, retries: boolean): Promise<unknown> {
    const attempt = async () => {
      const started = performance.now();
      try {
        const result = await perAttempt.execute(({ signal }) => send(method, path, body, signal));
        observe?.attempt(endpoint, (performance.now() - started) / 1000, 'ok');
        noteOutcome(undefined);
        return result;
      } catch (error) {
        const failure = toDotnetError(error);
        // An open circuit made no call: it says nothing new about the backend.
        if (failure.kind !== 'circuit_open') noteOutcome(failure);
        observe?.attempt(endpoint, (performance.now() - started) / 1000, failure.kind);
        throw failure;
      }
    };
    return retries ? withRetries.execute(attempt) : attempt();
  }

  function apiKeyHeader(): Record<string, string> {
    return config.apiKey ? { 'x-api-key': config.apiKey } : {};
  }

  async function send(method: string, path: string, body: unknown, signal: AbortSignal): Promise<unknown> {
    const id = requestId();
    let response: Response;
    try {
      response = await fetch(`${config.baseUrl}${path}`, {
        method,
        signal,
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...apiKeyHeader(),
          // The request being served, so that one learner's turn can be followed into the .NET logs.
          ...(id ? { 'x-request-id': id } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw toDotnetError(error);
    }
    if (response.ok) {
      const text = await response.text();
      return text ? JSON.parse(text) : undefined;
    }
    await response.body?.cancel();
    const status = response.status;
    if (status === 404) throw new DotnetError('not_found', `${method} ${path}: 404`, status);
    if (status === 408 || status === 429 || status >= 500) {
      throw new DotnetError('unavailable', `${method} ${path}: ${status}`, status, retryAfterMs(response.headers.get('retry-after')));
    }
    throw new DotnetError('rejected', `${method} ${path}: ${status}`, status);
  }

  function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    const fields = result.error.issues.map((issue) => issue.path.join('.') || '(body)');
    log.error({ fields, what }, '.NET response does not match the contract');
    throw new DotnetError('contract', `${what}: the response does not match the contract (${fields.join(', ')})`);
  }

  return {
    async getTopic(topicId: number): Promise<DotnetTopic | undefined> {
      try {
        return parse(topicSchema, await call('topic', 'GET', `/TrainingTopics/${topicId}`, undefined, true), 'topic');
      } catch (error) {
        if (error instanceof DotnetError && error.kind === 'not_found') return undefined;
        throw error;
      }
    },
    async getUserContext(userId: number): Promise<DotnetUserContext> {
      const context = parse(userContextSchema, await call('context', 'GET', `/UserProgress/${userId}/context`, undefined, true), 'user context');
      return {
        userLevel: context.userlevel,
        completedTopicIds: context.completedtopicids,
        struggleTopics: context.struggletopics,
        ...(context.language ? { language: context.language } : {}),
      };
    },
    /** One attempt; a 409 means .NET already has this completion, which is what we wanted. */
    async completeTopic(notice: Record<string, unknown>): Promise<void> {
      try {
        await call('complete-topic', 'POST', '/UserProgress/complete-topic', notice, false);
      } catch (error) {
        if (error instanceof DotnetError && error.status === 409) return;
        throw error;
      }
    },
    circuit: (): CircuitStatus => circuitStatus(breaker.state),
    /** From the latest call's outcome when it is recent, else from a probe that waits at most `timeoutMs`. */
    reachability(timeoutMs: number): Promise<Reachability> {
      if (latest && Date.now() - latest.at < outcomeFreshMs) return Promise.resolve(latest);
      return (probing ??= probe(timeoutMs).finally(() => (probing = undefined)));
    },
  };
}

function toDotnetError(error: unknown): DotnetError {
  if (error instanceof DotnetError) return error;
  if (error instanceof BrokenCircuitError) return new DotnetError('circuit_open', 'the circuit breaker is open: the backend failed repeatedly');
  if (error instanceof TaskCancelledError) return new DotnetError('unavailable', 'the call timed out');
  if (error instanceof SyntaxError) return new DotnetError('contract', 'the response is not JSON');
  const cause = (error as { cause?: { code?: string } }).cause?.code;
  return new DotnetError('unavailable', `the backend is unreachable${cause ? ` (${cause})` : ''}`);
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function circuitStatus(state: CircuitState): CircuitStatus {
  if (state === CircuitState.Closed) return 'closed';
  if (state === CircuitState.HalfOpen) return 'half-open';
  return 'open';
}
