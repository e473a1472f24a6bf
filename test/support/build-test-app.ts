import { once } from 'node:events';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { pino } from 'pino';
import { buildApp } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/client.js';
import { assembleDeps, type Deps } from '../../src/deps.js';
import { currentRequestId } from '../../src/http/request-id.js';
import { createLogger } from '../../src/logger.js';
import { createTestDatabase, postgresConfig, type TestDatabase } from './test-database.js';

export const repoCurriculumDir = fileURLToPath(new URL('../../curriculum', import.meta.url));
export const fixtureCurriculumDir = fileURLToPath(new URL('../fixtures/curriculum', import.meta.url));

export interface TestApp {
  app: FastifyInstance;
  deps: Deps;
  testDatabase: TestDatabase;
  /** Every log line the app wrote, parsed. */
  logs: Record<string, unknown>[];
  close(): Promise<void>;
}

/**
 * The real app on a fresh database of its own, configured as from the environment `env`. `headers` are
 * added to every `app.inject` call, for apps that require credentials.
 */
export async function buildTestApp(env: Record<string, string> = {}, options: { headers?: Record<string, string> } = {}): Promise<TestApp> {
  // Rate limits are off unless a test turns them on: a test file may send more requests a minute than a learner.
  const config = parseConfig({
    CURRICULUM_DIR: repoCurriculumDir,
    LOG_LEVEL: 'debug',
    RATE_LIMIT_PER_MINUTE: '0',
    RATE_LIMIT_PER_IP_PER_MINUTE: '0',
    ...env,
  });
  const testDatabase = await createTestDatabase();
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger(config.logLevel, currentRequestId, sink);
  const deps = await assembleDeps(config, testDatabase.database, logger);
  const app = await buildApp(deps, logger);
  await app.ready();
  await redisReady(deps);
  if (options.headers) {
    const inject = app.inject.bind(app);
    app.inject = ((request: InjectOptions) => inject({ ...request, headers: { ...options.headers, ...request.headers } })) as typeof app.inject;
  }
  return {
    app,
    deps,
    testDatabase,
    logs,
    async close() {
      await app.close();
      await deps.redis?.quit();
      await testDatabase.drop();
    },
  };
}

/**
 * A second instance of the service on the same database, as a second process would be: on PostgreSQL it has
 * its own connection pool; PGlite allows one connection per database, so there the two share it.
 */
export async function buildSecondInstance(first: TestApp): Promise<{ app: FastifyInstance; close(): Promise<void> }> {
  const url = first.testDatabase.url;
  const database = url ? await openDatabase(postgresConfig(url), { onPoolError: () => {} }) : first.testDatabase.database;
  const logger = pino({ level: 'silent' });
  const deps = await assembleDeps(first.deps.config, database, logger);
  const app = await buildApp(deps, logger);
  await app.ready();
  await redisReady(deps);
  return {
    app,
    async close() {
      await app.close();
      await deps.redis?.quit();
      if (url) await database.close();
    },
  };
}

/** The service lets requests through while Redis connects; a test of shared limits waits for the connection. */
async function redisReady(deps: Deps): Promise<void> {
  if (deps.redis && deps.redis.status !== 'ready') await once(deps.redis, 'ready');
}
