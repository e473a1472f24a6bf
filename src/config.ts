import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

export type LlmProviderName = 'offline' | 'gemini' | 'openai';

export type DatabaseConfig =
  | { kind: 'postgres'; url: string; poolSize: number }
  | { kind: 'pglite'; dataDir: string };

export interface Config {
  environment: 'development' | 'production' | 'test';
  debug: boolean;
  host: string;
  port: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  database: DatabaseConfig;
  migrateOnStart: boolean;
  llm: { provider: LlmProviderName; gemini: { apiKey?: string; model: string; temperature: number } };
  curriculum: { source: 'local'; dir: string };
  tutoring: TutoringConfig;
  bodyLimitBytes: number;
}

export interface TutoringConfig {
  passCorrect: number;
  questionCount: number;
  maxConversationHistory: number;
  maxMessageLength: number;
  completionMarker: string;
}

const flag = z.stringbool({ truthy: ['true', '1', 'yes', 'on'], falsy: ['false', '0', 'no', 'off'] });
const positiveInt = z.coerce.number().int().positive();
const seconds = z.coerce.number().positive();

// One entry per environment variable; names and defaults follow the seed README's configuration table.
const variablesSchema = z.object({
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
    .refine((url) => url === undefined || /^postgres(ql)?:\/\//.test(url), {
      message: 'must be a postgresql:// (or postgresql+asyncpg://) URL; leave it unset for the embedded database',
    }),
  DATABASE_POOL_SIZE: positiveInt.max(1000).default(10),
  DATA_DIR: z.string().min(1).default('./data'),
  MIGRATE_ON_START: flag.default(true),
  LLM_PROVIDER: z.enum(['offline', 'gemini', 'openai']).optional(),
  GEMINI_API_KEY: z.string().trim().optional(),
  GEMINI_MODEL: z.string().min(1).default('gemini-2.5-flash'),
  GEMINI_TEMPERATURE: z.coerce.number().min(0).max(2).default(0.7),
  DOTNET_API_URL: z.url({ protocol: /^https?$/ }).optional(),
  DOTNET_API_TIMEOUT: seconds.default(30),
  DOTNET_API_RETRY_ATTEMPTS: positiveInt.default(5),
  DOTNET_API_RETRY_BASE_DELAY: seconds.default(1),
  DOTNET_API_RETRY_MAX_DELAY: seconds.default(60),
  DOTNET_API_RETRY_EXPONENTIAL_BASE: z.coerce.number().min(1).default(2),
  CURRICULUM_DIR: z.string().min(1).default('./curriculum'),
  MAX_CONVERSATION_HISTORY: positiveInt.default(50),
  MAX_MESSAGE_LENGTH: positiveInt.max(100_000).default(5000),
  COMPLETION_MARKER: z.string().trim().min(1).default('{TOPIC_COMPLETED}'),
  PASS_CORRECT: positiveInt.default(2),
  QUESTION_COUNT: positiveInt.default(3),
});

/** Every variable the service reads; .env.example documents each one. */
export const environmentVariables = Object.keys(variablesSchema.shape);

const crossCheckedSchema = variablesSchema.pick({
  PASS_CORRECT: true,
  QUESTION_COUNT: true,
  LLM_PROVIDER: true,
  GEMINI_API_KEY: true,
  DOTNET_API_URL: true,
});

// Checks across variables run even when other variables are invalid, so that one start-up lists every problem.
const environmentSchema = variablesSchema.superRefine(
  (env, ctx) => {
    if (env.PASS_CORRECT > env.QUESTION_COUNT) {
      ctx.addIssue({
        code: 'custom',
        path: ['PASS_CORRECT'],
        message: `must not exceed QUESTION_COUNT (${env.QUESTION_COUNT})`,
      });
    }
    const provider = env.LLM_PROVIDER ?? (env.GEMINI_API_KEY ? 'gemini' : 'offline');
    if (provider !== 'offline') {
      ctx.addIssue({
        code: 'custom',
        path: [env.LLM_PROVIDER ? 'LLM_PROVIDER' : 'GEMINI_API_KEY'],
        message: `selects the ${provider} provider, which this version does not include yet; unset it to use the offline tutor`,
      });
    }
    if (env.DOTNET_API_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['DOTNET_API_URL'],
        message: 'the .NET curriculum source is not included in this version yet; unset it to use the local catalog',
      });
    }
  },
  { when: (payload) => crossCheckedSchema.safeParse(payload.value).success },
);

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
  return {
    environment: e.ENVIRONMENT,
    debug: e.DEBUG,
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    database: e.DATABASE_URL
      ? { kind: 'postgres', url: e.DATABASE_URL, poolSize: e.DATABASE_POOL_SIZE }
      : { kind: 'pglite', dataDir: path.resolve(e.DATA_DIR) },
    migrateOnStart: e.MIGRATE_ON_START,
    llm: {
      provider: e.LLM_PROVIDER ?? (e.GEMINI_API_KEY ? 'gemini' : 'offline'),
      gemini: { apiKey: e.GEMINI_API_KEY, model: e.GEMINI_MODEL, temperature: e.GEMINI_TEMPERATURE },
    },
    curriculum: { source: 'local', dir: path.resolve(e.CURRICULUM_DIR) },
    tutoring: {
      passCorrect: e.PASS_CORRECT,
      questionCount: e.QUESTION_COUNT,
      maxConversationHistory: e.MAX_CONVERSATION_HISTORY,
      maxMessageLength: e.MAX_MESSAGE_LENGTH,
      completionMarker: e.COMPLETION_MARKER,
    },
    // A message of MAX_MESSAGE_LENGTH characters, each up to 4 bytes of UTF-8 and escaped in JSON, plus room for the envelope.
    bodyLimitBytes: e.MAX_MESSAGE_LENGTH * 12 + 4096,
  };
}

/** Reads `.env` from the working directory when present (real environment variables win), then parses. */
export function loadConfig(): Config {
  if (existsSync('.env')) process.loadEnvFile('.env');
  return parseConfig(process.env);
}
