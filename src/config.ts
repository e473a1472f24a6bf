import { existsSync } from 'node:fs';
import { canonicalLanguage } from './language.js';
import path from 'node:path';
import type { BudgetConfig } from './usage/budgets.js';
import type { WebhookConfig } from './events/webhook-sender.js';
import { defaultSelfHarmReply, type SafetyConfig } from './safety/moderation.js';
import type { ModerationEndpointConfig } from './safety/moderation-endpoint.js';
import { corsOrigins, environmentSchema, providerOf, serviceKeys, type Environment } from './environment.js';

export type LlmProviderName = 'offline' | 'gemini' | 'openai';

export type DatabaseConfig =
  | ({ kind: 'postgres'; url: string; poolSize: number } & DatabaseTimeouts)
  | { kind: 'pglite'; dataDir: string };

/** Bounds on a PostgreSQL connection's waits, so that a silent or stuck server fails requests instead of hanging them. */
export interface DatabaseTimeouts {
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  idleInTransactionTimeoutMs: number;
}

export interface Config {
  environment: 'development' | 'production' | 'test';
  debug: boolean;
  host: string;
  port: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  database: DatabaseConfig;
  migrateOnStart: boolean;
  llm: LlmConfig;
  /** The evaluation harness's judge model (`npm run eval`), when one is configured, and the provider it runs on. */
  evaluation: { judgeModel: string | undefined; judgeProvider: 'gemini' | 'openai' };
  curriculum: CurriculumConfig;
  outbox: OutboxConfig;
  tutoring: TutoringConfig;
  bodyLimitBytes: number;
  idempotencyTtlMs: number;
  /** How long a streamed reply stays readable, for clients that resume it, after it ended. */
  streamResumeGraceMs: number;
  /** Longest wait for requests in flight at shutdown. */
  shutdownTimeoutMs: number;
  http: HttpTimeouts;
  /** Longest wait for each check of /api/ready and /api/health. */
  readyCheckTimeoutMs: number;
  /** Active sessions with no message for this long become abandoned. */
  sessionIdleTimeoutMs: number;
  /** Requests a minute per learner (token users) and per IP address (other callers); 0 turns a limit off. */
  rateLimit: { perUser: number; perIp: number };
  /** When set, /metrics requires `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  /** Shared store for rate limits across instances; unset: each instance counts in memory. */
  redisUrl: string | undefined;
  /** Put before every Redis key, so that deployments (and test runs) can share one Redis. */
  redisKeyPrefix: string;
  /** Longest wait for a Redis command: past it, a request goes on without the shared rate limit. */
  redisCommandTimeoutMs: number;
  auth: AuthConfig;
  /** Origins allowed by CORS: a list, or true for any. */
  corsOrigins: string[] | true;
  /** Whether the learner web app is served at /app. */
  webAppEnabled: boolean;
  /** A price table replacing the published one (MODEL_PRICES_FILE). */
  modelPricesFile: string | undefined;
  budgets: BudgetConfig;
  /** Sessions started longer ago are purged, with all that is theirs, once a day (RETENTION_DAYS); unset: kept. */
  retentionDays: number | undefined;
  safety: SafetyConfig & { endpoint: ModerationEndpointConfig | undefined };
  /** EVENTS_WEBHOOK_URL: where events (flags, alerts, completions without .NET) are delivered, signed. */
  webhook: WebhookConfig | undefined;
}

/** Node's HTTP server timeouts: a slow client cannot hold a connection forever. */
export interface HttpTimeouts {
  /** Receiving a whole request, body included (a response, such as a streamed reply, is not bound by it). */
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

export interface AuthConfig {
  /**
   * Callers presenting one in X-API-Key may act for any user (a trusted server such as the .NET backend). Two while
   * a key is rotated: the new one first.
   */
  serviceApiKeys: string[];
  /** Callers presenting one in X-API-Key act as an admin (ADMIN_API_KEY); two while a key is rotated. */
  adminApiKeys: string[];
  jwt: JwtConfig | undefined;
  /** ENVIRONMENT=production with no credential configured, explicitly allowed by ALLOW_UNAUTHENTICATED. */
  unauthenticatedInProduction: boolean;
}

interface JwtRules {
  issuer?: string;
  audience?: string;
  userIdClaim: string;
  /** The claim with the caller's role (learner when absent), and the one with a teacher's course ids. */
  roleClaim: string;
  coursesClaim: string;
  /** Refuse tokens without `exp` (AUTH_JWT_REQUIRE_EXP). */
  requireExp: boolean;
  /** Leeway for `exp`, `nbf` and `iat` against this server's clock. */
  clockToleranceSeconds: number;
}

export type JwtConfig = ({ kind: 'secret'; secret: string } | { kind: 'jwks'; url: string }) & JwtRules;

export type CurriculumConfig = { source: 'local'; dir: string } | ({ source: 'dotnet' } & DotnetConfig);

export interface DotnetConfig {
  /** Base URL with the path prefix: `${DOTNET_API_URL}${DOTNET_API_PREFIX}`. */
  baseUrl: string;
  /** Sent as X-API-Key on every call when set. */
  apiKey: string | undefined;
  timeoutMs: number;
  retry: { attempts: number; baseDelayMs: number; maxDelayMs: number; exponentialBase: number };
  breaker: { consecutiveFailures: number; halfOpenAfterMs: number };
}

export interface OutboxConfig {
  pollIntervalMs: number;
  maxBackoffMs: number;
  /** A notification still undelivered this long after it was queued becomes a dead letter. */
  maxAgeMs: number;
}

/** Settings of a model call, common to the LLM providers. */
export interface ModelSettings {
  model: string;
  /** The model of the isolated grading call; often a cheaper one. */
  graderModel: string;
  temperature: number;
  maxOutputTokens: number;
  /** Deadline of one tutor or grading call, its retries included. */
  timeoutMs: number;
  maxRetries: number;
}

export type SafetyThreshold = 'BLOCK_LOW_AND_ABOVE' | 'BLOCK_MEDIUM_AND_ABOVE' | 'BLOCK_ONLY_HIGH' | 'BLOCK_NONE' | 'OFF';

/** Proxies for outbound model calls (HTTP_PROXY, HTTPS_PROXY, NO_PROXY, or their lower-case forms). */
export interface ProxyConfig {
  httpProxy?: string;
  httpsProxy?: string;
  noProxy?: string;
}

export type LlmConfig =
  | { provider: 'offline' }
  | ({ provider: 'gemini'; apiKey: string; baseUrl: string; safetyThreshold: SafetyThreshold; proxy: ProxyConfig } & ModelSettings)
  | ({ provider: 'openai'; apiKey: string | undefined; baseUrl: string; proxy: ProxyConfig } & ModelSettings);

export interface TutoringConfig {
  /** graded: the service grades answers and applies the pass rule; marker: the model's COMPLETION_MARKER completes. */
  completionPolicy: 'graded' | 'marker';
  passCorrect: number;
  questionCount: number;
  /** Unset: the pass rule alone completes a topic; set: every objective's mastery must also reach it. */
  masteryThreshold: number | undefined;
  /** The language of a session when neither the request, the learner's context nor the course names one. */
  defaultLanguage: string;
  maxConversationHistory: number;
  maxMessageLength: number;
  completionMarker: string;
  /**
   * How long a turn's hold on its session (and on its Idempotency-Key) lasts unless renewed: the turn renews it while
   * it runs, so after a crash it lapses this long after the last renewal.
   */
  turnLeaseMs: number;
  /** Conversation messages a session holds at most: a learner message past it is refused (409 session_too_long). */
  maxSessionMessages: number;
  /** Turns and session starts calling the LLM at once in this instance; more are refused, not queued. */
  maxConcurrentTurns: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses an environment into a Config, listing every problem at once. Values are never echoed: some are secrets. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  // An empty variable (`PORT=` in .env) means "not set", as it does for most twelve-factor services.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = environmentSchema.safeParse(present);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  const e = result.data;
  const llm = llmConfig(e);
  return {
    environment: e.ENVIRONMENT,
    debug: e.DEBUG,
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    database: e.DATABASE_URL
      ? {
          kind: 'postgres',
          url: e.DATABASE_URL,
          poolSize: e.DATABASE_POOL_SIZE,
          connectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT * 1000,
          statementTimeoutMs: e.DATABASE_STATEMENT_TIMEOUT * 1000,
          idleInTransactionTimeoutMs: e.DATABASE_IDLE_IN_TRANSACTION_TIMEOUT * 1000,
        }
      : { kind: 'pglite', dataDir: path.resolve(e.DATA_DIR) },
    migrateOnStart: e.MIGRATE_ON_START,
    llm,
    evaluation: { judgeModel: e.EVAL_JUDGE_MODEL, judgeProvider: e.EVAL_JUDGE_PROVIDER ?? (llm.provider === 'openai' ? 'openai' : 'gemini') },
    curriculum: e.DOTNET_API_URL
      ? {
          source: 'dotnet',
          baseUrl: `${e.DOTNET_API_URL.replace(/\/+$/, '')}${e.DOTNET_API_PREFIX.replace(/\/+$/, '')}`,
          // The key this service presents to .NET: the current one, when two are accepted during a rotation.
          apiKey: e.SERVICE_API_KEY ? serviceKeys(e.SERVICE_API_KEY)[0] : undefined,
          timeoutMs: e.DOTNET_API_TIMEOUT * 1000,
          retry: {
            attempts: e.DOTNET_API_RETRY_ATTEMPTS,
            baseDelayMs: e.DOTNET_API_RETRY_BASE_DELAY * 1000,
            maxDelayMs: e.DOTNET_API_RETRY_MAX_DELAY * 1000,
            exponentialBase: e.DOTNET_API_RETRY_EXPONENTIAL_BASE,
          },
          breaker: { consecutiveFailures: e.DOTNET_CIRCUIT_BREAKER_FAILURES, halfOpenAfterMs: e.DOTNET_CIRCUIT_BREAKER_RESET * 1000 },
        }
      : { source: 'local', dir: path.resolve(e.CURRICULUM_DIR) },
    outbox: {
      pollIntervalMs: e.OUTBOX_POLL_INTERVAL_MS,
      maxBackoffMs: e.OUTBOX_MAX_BACKOFF_SECONDS * 1000,
      maxAgeMs: e.OUTBOX_MAX_AGE_HOURS * 3_600_000,
    },
    tutoring: {
      completionPolicy: e.COMPLETION_POLICY,
      passCorrect: e.PASS_CORRECT,
      questionCount: e.QUESTION_COUNT,
      masteryThreshold: e.MASTERY_THRESHOLD,
      defaultLanguage: canonicalLanguage(e.DEFAULT_LANGUAGE)!,
      maxConversationHistory: e.MAX_CONVERSATION_HISTORY,
      maxMessageLength: e.MAX_MESSAGE_LENGTH,
      completionMarker: e.COMPLETION_MARKER,
      turnLeaseMs: e.TURN_LEASE_TTL_SECONDS * 1000,
      maxSessionMessages: e.MAX_SESSION_MESSAGES,
      maxConcurrentTurns: e.LLM_MAX_CONCURRENCY,
    },
    idempotencyTtlMs: e.IDEMPOTENCY_TTL_HOURS * 3_600_000,
    streamResumeGraceMs: e.STREAM_RESUME_GRACE_SECONDS * 1000,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT * 1000,
    http: {
      requestTimeoutMs: e.HTTP_REQUEST_TIMEOUT * 1000,
      headersTimeoutMs: e.HTTP_HEADERS_TIMEOUT * 1000,
      keepAliveTimeoutMs: e.HTTP_KEEP_ALIVE_TIMEOUT * 1000,
    },
    readyCheckTimeoutMs: e.READY_CHECK_TIMEOUT_MS,
    sessionIdleTimeoutMs: e.SESSION_IDLE_TIMEOUT_MINUTES * 60_000,
    rateLimit: { perUser: e.RATE_LIMIT_PER_MINUTE, perIp: e.RATE_LIMIT_PER_IP_PER_MINUTE },
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    redisCommandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
    metricsToken: e.METRICS_TOKEN,
    auth: {
      serviceApiKeys: e.SERVICE_API_KEY ? serviceKeys(e.SERVICE_API_KEY) : [],
      adminApiKeys: e.ADMIN_API_KEY ? serviceKeys(e.ADMIN_API_KEY) : [],
      jwt: jwtConfig(e),
      unauthenticatedInProduction:
        e.ENVIRONMENT === 'production' && !e.SERVICE_API_KEY && !e.ADMIN_API_KEY && !e.AUTH_JWT_SECRET && !e.AUTH_JWKS_URL,
    },
    corsOrigins: e.CORS_ORIGINS !== undefined ? corsOrigins(e.CORS_ORIGINS)! : e.ENVIRONMENT === 'production' ? [] : true,
    webAppEnabled: e.WEB_APP_ENABLED ?? e.ENVIRONMENT !== 'production',
    modelPricesFile: e.MODEL_PRICES_FILE && path.resolve(e.MODEL_PRICES_FILE),
    retentionDays: e.RETENTION_DAYS,
    budgets: { learnerDailyTokens: e.LEARNER_DAILY_TOKEN_BUDGET, dailyTokens: e.DAILY_TOKEN_BUDGET },
    safety: {
      redactPersonalData: e.PII_REDACTION,
      selfHarmReply: e.SAFETY_SELF_HARM_REPLY ?? defaultSelfHarmReply,
      endpoint: e.MODERATION_BASE_URL
        ? { baseUrl: e.MODERATION_BASE_URL, apiKey: e.MODERATION_API_KEY, model: e.MODERATION_MODEL, timeoutMs: e.MODERATION_TIMEOUT * 1000 }
        : undefined,
    },
    webhook: e.EVENTS_WEBHOOK_URL
      ? { url: e.EVENTS_WEBHOOK_URL, secrets: serviceKeys(e.EVENTS_WEBHOOK_SECRET!), timeoutMs: e.EVENTS_WEBHOOK_TIMEOUT * 1000 }
      : undefined,
    // A message of MAX_MESSAGE_LENGTH characters, each up to 4 bytes of UTF-8 and escaped in JSON, plus room for the envelope.
    bodyLimitBytes: e.MAX_MESSAGE_LENGTH * 12 + 4096,
  };
}

function jwtConfig(e: Environment): AuthConfig['jwt'] {
  const common = {
    issuer: e.AUTH_JWT_ISSUER,
    audience: e.AUTH_JWT_AUDIENCE,
    userIdClaim: e.AUTH_USER_ID_CLAIM,
    roleClaim: e.AUTH_ROLE_CLAIM,
    coursesClaim: e.AUTH_COURSES_CLAIM,
    requireExp: e.AUTH_JWT_REQUIRE_EXP,
    clockToleranceSeconds: e.AUTH_JWT_CLOCK_TOLERANCE_SECONDS,
  };
  if (e.AUTH_JWT_SECRET) return { kind: 'secret', secret: e.AUTH_JWT_SECRET, ...common };
  if (e.AUTH_JWKS_URL) return { kind: 'jwks', url: e.AUTH_JWKS_URL, ...common };
  return undefined;
}

function llmConfig(e: Environment): LlmConfig {
  const provider = providerOf(e);
  const proxy: ProxyConfig = {
    // The lower-case names first, as curl and undici read them.
    httpProxy: e.http_proxy ?? e.HTTP_PROXY,
    httpsProxy: e.https_proxy ?? e.HTTPS_PROXY,
    noProxy: e.no_proxy ?? e.NO_PROXY,
  };
  if (provider === 'gemini') {
    return {
      provider,
      apiKey: e.GEMINI_API_KEY!,
      baseUrl: e.GEMINI_BASE_URL.replace(/\/+$/, ''),
      safetyThreshold: e.GEMINI_SAFETY_THRESHOLD,
      proxy,
      model: e.GEMINI_MODEL,
      graderModel: e.GRADER_MODEL ?? e.GEMINI_MODEL,
      temperature: e.GEMINI_TEMPERATURE,
      maxOutputTokens: e.GEMINI_MAX_OUTPUT_TOKENS,
      timeoutMs: e.GEMINI_TIMEOUT * 1000,
      maxRetries: e.LLM_MAX_RETRIES,
    };
  }
  if (provider === 'openai') {
    return {
      provider,
      apiKey: e.OPENAI_API_KEY,
      baseUrl: e.OPENAI_BASE_URL!.replace(/\/+$/, ''),
      proxy,
      model: e.OPENAI_MODEL!,
      graderModel: e.GRADER_MODEL ?? e.OPENAI_MODEL!,
      temperature: e.OPENAI_TEMPERATURE,
      maxOutputTokens: e.OPENAI_MAX_OUTPUT_TOKENS,
      timeoutMs: e.OPENAI_TIMEOUT * 1000,
      maxRetries: e.LLM_MAX_RETRIES,
    };
  }
  return { provider };
}

/** Reads `.env` from the working directory when present (real environment variables win), then parses. */
/** The configuration of this environment (and .env); `overrides` replace variables, an empty one unsets it. */
export function loadConfig(overrides: Record<string, string> = {}): Config {
  if (existsSync('.env')) process.loadEnvFile('.env');
  return parseConfig({ ...process.env, ...overrides });
}
