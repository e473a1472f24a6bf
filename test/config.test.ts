import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, environmentVariables, parseConfig } from '../src/config.js';

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
    expect(config.llm.provider).toBe('offline');
    expect(config.llm.gemini).toMatchObject({ model: 'gemini-2.5-flash', temperature: 0.7 });
    expect(config.curriculum).toEqual({ source: 'local', dir: path.resolve('./curriculum') });
    expect(config.tutoring).toEqual({
      passCorrect: 2,
      questionCount: 3,
      maxConversationHistory: 50,
      maxMessageLength: 5000,
      completionMarker: '{TOPIC_COMPLETED}',
    });
  });

  it("accepts the seed's postgresql+asyncpg:// URL as a plain PostgreSQL URL", () => {
    const config = parseConfig({ DATABASE_URL: 'postgresql+asyncpg://aiuser:aipass@localhost:5433/aitraining' });
    expect(config.database).toEqual({ kind: 'postgres', url: 'postgresql://aiuser:aipass@localhost:5433/aitraining', poolSize: 10 });
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

  it('refuses providers and sources this version does not include, instead of silently using others', () => {
    expect(problemsOf({ GEMINI_API_KEY: 'key' })[0]).toMatch(/^GEMINI_API_KEY: selects the gemini provider/);
    expect(problemsOf({ LLM_PROVIDER: 'openai' })[0]).toMatch(/^LLM_PROVIDER: selects the openai provider/);
    expect(problemsOf({ DOTNET_API_URL: 'http://localhost:8080' })[0]).toMatch(/^DOTNET_API_URL:/);
    expect(parseConfig({ GEMINI_API_KEY: 'key', LLM_PROVIDER: 'offline' }).llm.provider).toBe('offline');
  });
});

describe('.env.example', () => {
  const text = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');

  it('documents every variable the service reads', () => {
    const documented = new Set([...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((match) => match[1]));
    expect(environmentVariables.filter((name) => !documented.has(name))).toEqual([]);
  });

  it('is a valid configuration as it stands', () => {
    const env = Object.fromEntries([...text.matchAll(/^([A-Z][A-Z0-9_]+)=(.*)$/gm)].map((match) => [match[1]!, match[2]!]));
    expect(parseConfig(env).tutoring.passCorrect).toBe(2);
  });
});
