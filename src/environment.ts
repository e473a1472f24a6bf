import { z } from 'zod';
import { canonicalLanguage } from './language.js';
import { isWebhookSecret } from './events/webhook-signature.js';
import type { LlmProviderName } from './config.js';

// The environment variables, as config.ts reads them: each validated, with its default, and checked together.

export type Environment = z.infer<typeof variablesSchema>;

const flag = z.stringbool({ truthy: ['true', '1', 'yes', 'on'], falsy: ['false', '0', 'no', 'off'] });
const positiveInt = z.coerce.number().int().positive();
const seconds = z.coerce.number().positive();

// One entry per environment variable; names and defaults follow the seed README's configuration table.
export const variablesSchema = z.object({
  ENVIRONMENT: z.enum(['development', 'production', 'test']).default('development'),
  DEBUG: flag.default(false),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: z
    .string()
    .trim()
    .optional()
    .transform((url) => (url ? url.replace(/^postgres(ql)?\+asyncpg:/, 'postgresql:') : undefined))
    .refine((url) => url === undefined || (/^postgres(ql)?:\/\//.test(url) && URL.canParse(url)), {
      message: 'must be a valid postgresql:// (or postgresql+asyncpg://) URL; leave it unset for the embedded database',
    }),
  DATABASE_POOL_SIZE: positiveInt.max(1000).default(10),
  DATABASE_CONNECT_TIMEOUT: seconds.default(5),
  DATABASE_STATEMENT_TIMEOUT: seconds.default(30),
  DATABASE_IDLE_IN_TRANSACTION_TIMEOUT: seconds.default(15),
  DATA_DIR: z.string().min(1).default('./data'),
  MIGRATE_ON_START: flag.default(true),
  // Unset: on, except in production.
  WEB_APP_ENABLED: flag.optional(),
  LLM_PROVIDER: z.enum(['offline', 'gemini', 'openai']).optional(),
  RETENTION_DAYS: positiveInt.optional(),
  PII_REDACTION: flag.default(true),
  SAFETY_SELF_HARM_REPLY: z.string().trim().min(20).max(2000).optional(),
  MODERATION_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  MODERATION_API_KEY: z.string().trim().min(1).optional(),
  MODERATION_MODEL: z.string().trim().min(1).default('omni-moderation-latest'),
  MODERATION_TIMEOUT: seconds.default(5),
  EVENTS_WEBHOOK_URL: z.url({ protocol: /^https?$/ }).optional(),
  EVENTS_WEBHOOK_SECRET: z
    .string()
    .trim()
    .refine((value) => serviceKeys(value).length <= 2 && serviceKeys(value).every(isWebhookSecret), {
      message: 'must be a secret in the whsec_<base64> form (16 bytes or more), or two separated by a comma while receivers move to a new one',
    })
    .optional(),
  EVENTS_WEBHOOK_TIMEOUT: seconds.default(10),
  LEARNER_DAILY_TOKEN_BUDGET: positiveInt.optional(),
  DAILY_TOKEN_BUDGET: positiveInt.optional(),
  MODEL_PRICES_FILE: z.string().trim().min(1).optional(),
  LLM_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  GRADER_MODEL: z.string().trim().min(1).optional(),
  COMPLETION_POLICY: z.enum(['graded', 'marker']).default('graded'),
  GEMINI_API_KEY: z.string().trim().optional(),
  GEMINI_MODEL: z.string().trim().min(1).default('gemini-2.5-flash'),
  GEMINI_TEMPERATURE: z.coerce.number().min(0).max(2).default(0.7),
  GEMINI_MAX_OUTPUT_TOKENS: positiveInt.default(2048),
  GEMINI_TIMEOUT: seconds.default(60),
  GEMINI_SAFETY_THRESHOLD: z
    .enum(['BLOCK_LOW_AND_ABOVE', 'BLOCK_MEDIUM_AND_ABOVE', 'BLOCK_ONLY_HIGH', 'BLOCK_NONE', 'OFF'])
    .default('BLOCK_MEDIUM_AND_ABOVE'),
  GEMINI_BASE_URL: z.url({ protocol: /^https?$/ }).default('https://generativelanguage.googleapis.com'),
  OPENAI_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  // The evaluation harness's judge (npm run eval); the service itself never reads them.
  EVAL_JUDGE_MODEL: z.string().trim().min(1).optional(),
  EVAL_JUDGE_PROVIDER: z.enum(['gemini', 'openai']).optional(),
  // Outbound proxies for model calls, in either case as curl reads them.
  HTTP_PROXY: z.url({ protocol: /^https?$/ }).optional(),
  http_proxy: z.url({ protocol: /^https?$/ }).optional(),
  HTTPS_PROXY: z.url({ protocol: /^https?$/ }).optional(),
  https_proxy: z.url({ protocol: /^https?$/ }).optional(),
  NO_PROXY: z.string().trim().optional(),
  no_proxy: z.string().trim().optional(),
  OPENAI_API_KEY: z.string().trim().optional(),
  OPENAI_MODEL: z.string().trim().min(1).optional(),
  OPENAI_TEMPERATURE: z.coerce.number().min(0).max(2).default(0.7),
  OPENAI_MAX_OUTPUT_TOKENS: positiveInt.default(2048),
  OPENAI_TIMEOUT: seconds.default(60),
  DOTNET_API_URL: z.url({ protocol: /^https?$/ }).optional(),
  DOTNET_API_PREFIX: z
    .string()
    .trim()
    .regex(/^(\/[\w.~-]+)*\/?$/, 'must be a path such as /api or /api/v1')
    .default('/api'),
  SERVICE_API_KEY: z
    .string()
    .trim()
    .min(1)
    .refine((value) => serviceKeys(value).length <= 2 && serviceKeys(value).every(Boolean), {
      message: 'must be one key, or two separated by a comma while a key is rotated',
    })
    .optional(),
  ADMIN_API_KEY: z
    .string()
    .trim()
    .min(1)
    .refine((value) => serviceKeys(value).length <= 2 && serviceKeys(value).every((key) => key.length >= 16), {
      message: 'must be one key of 16 characters or more, or two separated by a comma while a key is rotated',
    })
    .optional(),
  DOTNET_CIRCUIT_BREAKER_FAILURES: positiveInt.default(5),
  DOTNET_CIRCUIT_BREAKER_RESET: seconds.default(30),
  AUTH_JWT_SECRET: z.string().min(32, 'must be at least 32 characters (HS256 needs a 256-bit secret)').optional(),
  AUTH_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
  AUTH_JWT_ISSUER: z.string().trim().min(1).optional(),
  AUTH_JWT_AUDIENCE: z.string().trim().min(1).optional(),
  AUTH_USER_ID_CLAIM: z.string().trim().min(1).default('sub'),
  AUTH_JWT_REQUIRE_EXP: flag.default(true),
  AUTH_ROLE_CLAIM: z.string().trim().min(1).default('role'),
  AUTH_COURSES_CLAIM: z.string().trim().min(1).default('course_ids'),
  AUTH_JWT_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
  ALLOW_UNAUTHENTICATED: flag.default(false),
  CORS_ORIGINS: z.string().trim().optional(),
  IDEMPOTENCY_TTL_HOURS: z.coerce.number().positive().default(24),
  STREAM_RESUME_GRACE_SECONDS: z.coerce.number().int().positive().default(300),
  SHUTDOWN_TIMEOUT: seconds.default(30),
  HTTP_REQUEST_TIMEOUT: seconds.default(30),
  HTTP_HEADERS_TIMEOUT: seconds.default(10),
  HTTP_KEEP_ALIVE_TIMEOUT: seconds.default(72),
  READY_CHECK_TIMEOUT_MS: positiveInt.max(60_000).default(1000),
  TURN_LEASE_TTL_SECONDS: seconds.min(1).max(3600).default(15),
  MAX_SESSION_MESSAGES: positiveInt.min(3).max(100_000).default(500),
  SESSION_IDLE_TIMEOUT_MINUTES: z.coerce.number().positive().default(60),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(60),
  RATE_LIMIT_PER_IP_PER_MINUTE: z.coerce.number().int().min(0).default(300),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  REDIS_KEY_PREFIX: z.string().trim().min(1).max(100).default('ai-training:'),
  REDIS_COMMAND_TIMEOUT_MS: positiveInt.max(60_000).default(500),
  METRICS_TOKEN: z.string().trim().min(1).optional(),
  LLM_MAX_CONCURRENCY: positiveInt.default(1000),
  OUTBOX_POLL_INTERVAL_MS: positiveInt.default(1000),
  OUTBOX_MAX_BACKOFF_SECONDS: z.coerce.number().min(0).default(300),
  OUTBOX_MAX_AGE_HOURS: z.coerce.number().positive().default(72),
  DOTNET_API_TIMEOUT: seconds.default(30),
  DOTNET_API_RETRY_ATTEMPTS: z.coerce.number().int().min(0).max(20).default(5),
  DOTNET_API_RETRY_BASE_DELAY: z.coerce.number().min(0).default(1),
  DOTNET_API_RETRY_MAX_DELAY: z.coerce.number().min(0).default(60),
  DOTNET_API_RETRY_EXPONENTIAL_BASE: z.coerce.number().min(1).default(2),
  CURRICULUM_DIR: z.string().min(1).default('./curriculum'),
  MAX_CONVERSATION_HISTORY: positiveInt.default(50),
  MAX_MESSAGE_LENGTH: positiveInt.max(100_000).default(5000),
  COMPLETION_MARKER: z.string().trim().min(1).default('{TOPIC_COMPLETED}'),
  PASS_CORRECT: positiveInt.default(2),
  QUESTION_COUNT: positiveInt.default(3),
  MASTERY_THRESHOLD: z.coerce.number().gt(0).max(1).optional(),
  DEFAULT_LANGUAGE: z
    .string()
    .trim()
    .refine((tag) => canonicalLanguage(tag) !== undefined, 'must be a language tag (BCP 47) such as en or pt-BR')
    .default('en'),
});

/** Every variable the service reads; .env.example documents each one. */
export const environmentVariables = Object.keys(variablesSchema.shape);

// The variables the checks below read: they run as long as these parsed, whatever else is wrong.
const crossChecked = new Set<PropertyKey>([
  'MASTERY_THRESHOLD',
  'PASS_CORRECT',
  'QUESTION_COUNT',
  'LLM_PROVIDER',
  'GEMINI_API_KEY',
  'OPENAI_BASE_URL',
  'OPENAI_MODEL',
  'COMPLETION_POLICY',
  'ENVIRONMENT',
  'SERVICE_API_KEY',
  'ADMIN_API_KEY',
  'EVENTS_WEBHOOK_URL',
  'EVENTS_WEBHOOK_SECRET',
  'AUTH_JWT_SECRET',
  'AUTH_JWKS_URL',
  'ALLOW_UNAUTHENTICATED',
  'CORS_ORIGINS',
  'DOTNET_API_URL',
  'HTTP_REQUEST_TIMEOUT',
  'HTTP_HEADERS_TIMEOUT',
]);

export function providerOf(env: { LLM_PROVIDER?: LlmProviderName; GEMINI_API_KEY?: string }): LlmProviderName {
  return env.LLM_PROVIDER ?? (env.GEMINI_API_KEY ? 'gemini' : 'offline');
}

// Checks across variables run even when other variables are invalid, so that one start-up lists every problem.
export const environmentSchema = variablesSchema.superRefine(
  (env, ctx) => {
    if (env.MASTERY_THRESHOLD !== undefined && env.COMPLETION_POLICY === 'marker') {
      ctx.addIssue({
        code: 'custom',
        path: ['MASTERY_THRESHOLD'],
        message: 'needs COMPLETION_POLICY=graded: under the marker policy nothing is graded, so no objective could be mastered',
      });
    }
    if (env.PASS_CORRECT > env.QUESTION_COUNT) {
      ctx.addIssue({
        code: 'custom',
        path: ['PASS_CORRECT'],
        message: `must not exceed QUESTION_COUNT (${env.QUESTION_COUNT})`,
      });
    }
    const provider = providerOf(env);
    const require = (name: keyof typeof env, why: string) => {
      if (!env[name]) ctx.addIssue({ code: 'custom', path: [name], message: `is required ${why}` });
    };
    if (provider === 'gemini') require('GEMINI_API_KEY', 'with LLM_PROVIDER=gemini');
    if (provider === 'openai') {
      require('OPENAI_BASE_URL', 'with LLM_PROVIDER=openai');
      require('OPENAI_MODEL', 'with LLM_PROVIDER=openai');
    }
    if (env.AUTH_JWT_SECRET && env.AUTH_JWKS_URL) {
      ctx.addIssue({ code: 'custom', path: ['AUTH_JWKS_URL'], message: 'set AUTH_JWT_SECRET or AUTH_JWKS_URL, not both' });
    }
    const authenticated = env.SERVICE_API_KEY || env.ADMIN_API_KEY || env.AUTH_JWT_SECRET || env.AUTH_JWKS_URL;
    if (env.ENVIRONMENT === 'production' && !authenticated && !env.ALLOW_UNAUTHENTICATED) {
      ctx.addIssue({
        code: 'custom',
        path: ['ENVIRONMENT'],
        message:
          'production needs authentication: set SERVICE_API_KEY and/or AUTH_JWT_SECRET or AUTH_JWKS_URL (or ALLOW_UNAUTHENTICATED=true to run open)',
      });
    }
    if (env.EVENTS_WEBHOOK_URL && !env.EVENTS_WEBHOOK_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['EVENTS_WEBHOOK_SECRET'], message: 'is required with EVENTS_WEBHOOK_URL: every event is signed' });
    }
    if (env.ADMIN_API_KEY && env.SERVICE_API_KEY && serviceKeys(env.ADMIN_API_KEY).some((key) => serviceKeys(env.SERVICE_API_KEY!).includes(key))) {
      ctx.addIssue({ code: 'custom', path: ['ADMIN_API_KEY'], message: 'must differ from SERVICE_API_KEY: the admin key grants what the service key must not' });
    }
    if (env.CORS_ORIGINS !== undefined && corsOrigins(env.CORS_ORIGINS) === undefined) {
      ctx.addIssue({ code: 'custom', path: ['CORS_ORIGINS'], message: 'must be a comma-separated list or a JSON array of origins, or *' });
    }
    if (env.HTTP_HEADERS_TIMEOUT > env.HTTP_REQUEST_TIMEOUT) {
      ctx.addIssue({ code: 'custom', path: ['HTTP_HEADERS_TIMEOUT'], message: `must not exceed HTTP_REQUEST_TIMEOUT (${env.HTTP_REQUEST_TIMEOUT})` });
    }
    if (provider === 'offline' && env.DOTNET_API_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['LLM_PROVIDER'],
        message:
          'the offline tutor grades from a question bank, and topics from the .NET backend (DOTNET_API_URL) carry none, so no topic could ever be completed: ' +
          'set GEMINI_API_KEY (or LLM_PROVIDER=openai with OPENAI_BASE_URL and OPENAI_MODEL), or unset DOTNET_API_URL to use the local catalog',
      });
    }
    if (provider === 'offline' && env.COMPLETION_POLICY === 'marker') {
      ctx.addIssue({
        code: 'custom',
        path: ['COMPLETION_POLICY'],
        message: 'marker needs an LLM provider: the offline tutor grades answers from its question bank',
      });
    }
  },
  { when: (payload) => !payload.issues.some((issue) => crossChecked.has(issue.path?.[0] ?? '')) },
);

/** SERVICE_API_KEY or ADMIN_API_KEY: one key, or the new and the old key while callers move to the new one. */
export function serviceKeys(value: string): string[] {
  return value.split(',').map((key) => key.trim());
}

/** The seed's list form (a JSON array) or a comma-separated list; `*` allows any origin. */
export function corsOrigins(value: string): string[] | true | undefined {
  if (value === '*') return true;
  if (value.startsWith('[')) {
    try {
      const list: unknown = JSON.parse(value);
      return Array.isArray(list) && list.every((origin) => typeof origin === 'string') ? (list as string[]) : undefined;
    } catch {
      return undefined;
    }
  }
  return value
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
}
