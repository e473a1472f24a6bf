import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config.js';
import { environmentVariables } from '../src/environment.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('has the documented defaults: embedded database, offline tutor, local catalog, 2 of 3', () => {
    const config = parseConfig({});
    expect(config.port).toBe(8000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.database).toEqual({ kind: 'pglite', dataDir: path.resolve('./data') });
    expect(config.migrateOnStart).toBe(true);
    expect(config.llm).toEqual({ provider: 'offline' });
    expect(config.curriculum).toEqual({ source: 'local', dir: path.resolve('./curriculum') });
    expect(config.tutoring).toEqual({
      completionPolicy: 'graded',
      passCorrect: 2,
      questionCount: 3,
      masteryThreshold: undefined,
      defaultLanguage: 'en',
      maxConversationHistory: 50,
      maxMessageLength: 5000,
      completionMarker: '{TOPIC_COMPLETED}',
      turnLeaseMs: 15_000,
      maxSessionMessages: 500,
      maxConcurrentTurns: 1000,
    });
    expect(config.rateLimit).toEqual({ perUser: 60, perIp: 300 });
    expect(config.redisUrl).toBeUndefined();
  });

  it('serves the web app except in production, unless WEB_APP_ENABLED says otherwise', () => {
    expect(parseConfig({}).webAppEnabled).toBe(true);
    expect(parseConfig({ WEB_APP_ENABLED: 'false' }).webAppEnabled).toBe(false);
    const production = { ENVIRONMENT: 'production', SERVICE_API_KEY: 'k'.repeat(32) };
    expect(parseConfig(production).webAppEnabled).toBe(false);
    expect(parseConfig({ ...production, WEB_APP_ENABLED: 'true' }).webAppEnabled).toBe(true);
  });

  it('takes an admin key (two during a rotation) that is not a service key', () => {
    expect(parseConfig({ ADMIN_API_KEY: 'an-admin-key-0001,an-admin-key-0002' }).auth.adminApiKeys).toEqual(['an-admin-key-0001', 'an-admin-key-0002']);
    expect(problemsOf({ ADMIN_API_KEY: 'short' })).toEqual([expect.stringMatching(/^ADMIN_API_KEY: .*16 characters/)]);
    expect(problemsOf({ ADMIN_API_KEY: 'the-same-key-for-both', SERVICE_API_KEY: 'the-same-key-for-both' })).toEqual([
      expect.stringMatching(/^ADMIN_API_KEY: must differ from SERVICE_API_KEY/),
    ]);
    // The admin key alone is authentication enough for production.
    expect(parseConfig({ ENVIRONMENT: 'production', ADMIN_API_KEY: 'an-admin-key-0001' }).auth.unauthenticatedInProduction).toBe(false);
  });

  it("accepts the seed's postgresql+asyncpg:// URL as a plain PostgreSQL URL", () => {
    const config = parseConfig({ DATABASE_URL: 'postgresql+asyncpg://aiuser:aipass@localhost:5433/aitraining' });
    expect(config.database).toEqual({
      kind: 'postgres',
      url: 'postgresql://aiuser:aipass@localhost:5433/aitraining',
      poolSize: 10,
      connectTimeoutMs: 5_000,
      statementTimeoutMs: 30_000,
      idleInTransactionTimeoutMs: 15_000,
    });
  });

  it('reads numbers and flags from strings, and treats empty values as unset', () => {
    const config = parseConfig({ PORT: '9000', MIGRATE_ON_START: 'false', DEBUG: '1', DATABASE_URL: '', PASS_CORRECT: '3', QUESTION_COUNT: '5' });
    expect(config).toMatchObject({ port: 9000, migrateOnStart: false, debug: true, database: { kind: 'pglite' } });
    expect(config.tutoring).toMatchObject({ passCorrect: 3, questionCount: 5 });
  });

  it('lists every problem at once, naming each variable', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      DATABASE_URL: 'mysql://localhost/x',
      MIGRATE_ON_START: 'maybe',
      MAX_MESSAGE_LENGTH: '-1',
      LOG_LEVEL: 'loud',
    });
    expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual(
      ['DATABASE_URL', 'LOG_LEVEL', 'MAX_MESSAGE_LENGTH', 'MIGRATE_ON_START', 'PORT'].sort(),
    );
  });

  it('rejects a pass rule that cannot be met', () => {
    expect(problemsOf({ PASS_CORRECT: '4', QUESTION_COUNT: '3' })).toEqual(['PASS_CORRECT: must not exceed QUESTION_COUNT (3)']);
  });

  it('takes a mastery gate above 0 and at most 1, under the graded policy only; a language as a BCP 47 tag', () => {
    expect(parseConfig({ MASTERY_THRESHOLD: '0.8', DEFAULT_LANGUAGE: 'pt-br' }).tutoring).toMatchObject({ masteryThreshold: 0.8, defaultLanguage: 'pt-BR' });
    expect(problemsOf({ MASTERY_THRESHOLD: '0' })).toEqual(['MASTERY_THRESHOLD: Too small: expected number to be >0']);
    expect(problemsOf({ MASTERY_THRESHOLD: '0.8', COMPLETION_POLICY: 'marker', GEMINI_API_KEY: 'key' })).toEqual([
      'MASTERY_THRESHOLD: needs COMPLETION_POLICY=graded: under the marker policy nothing is graded, so no objective could be mastered',
    ]);
    expect(problemsOf({ DEFAULT_LANGUAGE: 'english' })).toEqual(['DEFAULT_LANGUAGE: must be a language tag (BCP 47) such as en or pt-BR']);
  });

  it('never echoes a value, which may be a secret', () => {
    const error = (() => {
      try {
        parseConfig({ DATABASE_URL: 'mysql://user:hunter2@db/x' });
      } catch (caught) {
        return caught as Error;
      }
    })();
    expect(error?.message).toContain('DATABASE_URL');
    expect(error?.message).not.toContain('hunter2');
  });

  it('selects Gemini when GEMINI_API_KEY is set, with the documented defaults', () => {
    expect(parseConfig({ GEMINI_API_KEY: 'key' }).llm).toEqual({
      provider: 'gemini',
      apiKey: 'key',
      baseUrl: 'https://generativelanguage.googleapis.com',
      safetyThreshold: 'BLOCK_MEDIUM_AND_ABOVE',
      model: 'gemini-2.5-flash',
      graderModel: 'gemini-2.5-flash',
      temperature: 0.7,
      maxOutputTokens: 2048,
      timeoutMs: 60_000,
      maxRetries: 2,
      proxy: { httpProxy: undefined, httpsProxy: undefined, noProxy: undefined },
    });
    expect(parseConfig({ GEMINI_API_KEY: 'key', LLM_PROVIDER: 'offline' }).llm.provider).toBe('offline');
    // Model calls go through the proxies the environment names, in either case.
    expect(parseConfig({ GEMINI_API_KEY: 'key', https_proxy: 'http://proxy:3128', NO_PROXY: 'localhost' }).llm).toMatchObject({
      proxy: { httpsProxy: 'http://proxy:3128', noProxy: 'localhost' },
    });
    expect(parseConfig({ GEMINI_API_KEY: 'key', GRADER_MODEL: 'gemini-2.5-flash-lite' }).llm).toMatchObject({
      graderModel: 'gemini-2.5-flash-lite',
    });
  });

  it('asks for what a chosen provider needs', () => {
    expect(problemsOf({ LLM_PROVIDER: 'gemini' })).toEqual(['GEMINI_API_KEY: is required with LLM_PROVIDER=gemini']);
    expect(problemsOf({ LLM_PROVIDER: 'openai' }).sort()).toEqual([
      'OPENAI_BASE_URL: is required with LLM_PROVIDER=openai',
      'OPENAI_MODEL: is required with LLM_PROVIDER=openai',
    ]);
    expect(problemsOf({ COMPLETION_POLICY: 'marker' })[0]).toMatch(/^COMPLETION_POLICY: marker needs an LLM provider/);
    expect(parseConfig({ LLM_PROVIDER: 'openai', OPENAI_BASE_URL: 'http://localhost:11434/v1/', OPENAI_MODEL: 'llama3' }).llm).toMatchObject({
      provider: 'openai',
      baseUrl: 'http://localhost:11434/v1',
      apiKey: undefined,
    });
  });

  it('uses the .NET backend when DOTNET_API_URL is set, with the seed’s retry defaults', () => {
    const config = parseConfig({ DOTNET_API_URL: 'http://dotnet:8080/', DOTNET_API_PREFIX: '/api/v1', SERVICE_API_KEY: 'secret', GEMINI_API_KEY: 'k' });
    expect(config.curriculum).toEqual({
      source: 'dotnet',
      baseUrl: 'http://dotnet:8080/api/v1',
      apiKey: 'secret',
      timeoutMs: 30_000,
      retry: { attempts: 5, baseDelayMs: 1000, maxDelayMs: 60_000, exponentialBase: 2 },
      breaker: { consecutiveFailures: 5, halfOpenAfterMs: 30_000 },
    });
    expect(config.outbox).toEqual({ pollIntervalMs: 1000, maxBackoffMs: 300_000, maxAgeMs: 72 * 3_600_000 });
    expect(problemsOf({ DOTNET_API_URL: 'ftp://x' })[0]).toMatch(/^DOTNET_API_URL:/);
    expect(problemsOf({ DOTNET_API_URL: 'http://x', DOTNET_API_PREFIX: 'api v1', GEMINI_API_KEY: 'k' })[0]).toMatch(/^DOTNET_API_PREFIX:/);
  });

  it('refuses the offline tutor with the .NET curriculum, whose topics carry no question bank to grade from', () => {
    expect(problemsOf({ DOTNET_API_URL: 'http://dotnet:8080' })).toEqual([
      expect.stringMatching(/^LLM_PROVIDER: the offline tutor grades from a question bank.*set GEMINI_API_KEY/),
    ]);
  });

  it('sends .NET the first of two service keys, and accepts both from callers, for a rotation', () => {
    const config = parseConfig({ DOTNET_API_URL: 'http://dotnet:8080', SERVICE_API_KEY: 'new-key, old-key', GEMINI_API_KEY: 'k' });
    expect(config.auth.serviceApiKeys).toEqual(['new-key', 'old-key']);
    expect(config.curriculum).toMatchObject({ apiKey: 'new-key' });
    expect(problemsOf({ SERVICE_API_KEY: 'a,b,c' })[0]).toMatch(/^SERVICE_API_KEY: must be one key, or two/);
    expect(problemsOf({ SERVICE_API_KEY: 'a,' })[0]).toMatch(/^SERVICE_API_KEY:/);
  });

  it('has bounded waits by default: database, HTTP, turn leases, readiness checks', () => {
    const config = parseConfig({});
    expect(config.http).toEqual({ requestTimeoutMs: 30_000, headersTimeoutMs: 10_000, keepAliveTimeoutMs: 72_000 });
    expect(config.readyCheckTimeoutMs).toBe(1000);
    expect(problemsOf({ HTTP_REQUEST_TIMEOUT: '5', HTTP_HEADERS_TIMEOUT: '10' })).toEqual(['HTTP_HEADERS_TIMEOUT: must not exceed HTTP_REQUEST_TIMEOUT (5)']);
    expect(problemsOf({ TURN_LEASE_TTL_SECONDS: '0' })[0]).toMatch(/^TURN_LEASE_TTL_SECONDS:/);
  });
});

describe('.env.example', () => {
  const text = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');

  it('documents every variable the service reads', () => {
    const documented = new Set([...text.matchAll(/^#?\s*([A-Za-z][A-Za-z0-9_]+)=/gm)].map((match) => match[1]));
    expect(environmentVariables.filter((name) => !documented.has(name))).toEqual([]);
  });

  it('is a valid configuration as it stands', () => {
    const env = Object.fromEntries([...text.matchAll(/^([A-Z][A-Z0-9_]+)=(.*)$/gm)].map((match) => [match[1]!, match[2]!]));
    expect(parseConfig(env).tutoring.passCorrect).toBe(2);
  });
});
