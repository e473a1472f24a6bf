import { sql } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { migrationsFolder } from '../../src/db/migrate.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t?.close());

describe('service information and docs', () => {
  it('GET / names the service and links its docs', async () => {
    const body = (await t.app.inject({ url: '/' })).json();
    expect(body).toMatchObject({ service: 'ai-training-service', status: 'running', name: 'AI Training Service', docs: '/docs', redoc: '/redoc', openapi: '/openapi.json', health: '/api/health' });
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('serves an OpenAPI document generated from the route schemas', async () => {
    const response = await t.app.inject({ url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    const doc = response.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/sessions/start', '/api/sessions/{id}/message', '/api/sessions/{id}', '/api/health', '/']),
    );
    expect(doc.paths['/openapi.json']).toBeUndefined();
    const start = doc.paths['/api/sessions/start'].post;
    expect(Object.keys(start.responses)).toEqual(expect.arrayContaining(['201', '400', '404', '413', '415', '422', '500', '503']));
    expect(doc.components.schemas.Problem.properties.code.enum).toContain('session_not_active');
    expect(doc.components.schemas.StartSessionRequest.required).toEqual(['user_id', 'topic_id', 'course_id']);
    expect(doc.components.schemas.StartSessionRequest.additionalProperties).toBe(false);
  });

  it('serves Swagger UI at /docs and ReDoc at /redoc, with no outside resources', async () => {
    const swagger = await t.app.inject({ url: '/docs/' });
    expect(swagger.statusCode).toBe(200);
    expect(swagger.body).toContain('swagger-ui');

    const redoc = await t.app.inject({ url: '/redoc' });
    expect(redoc.statusCode).toBe(200);
    expect(redoc.headers['content-type']).toMatch(/^text\/html/);
    expect(redoc.body).toContain('spec-url="/openapi.json"');
    expect(redoc.body).not.toMatch(/https?:\/\//);
    const script = await t.app.inject({ url: '/redoc/redoc.standalone.js' });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.body.length).toBeGreaterThan(100_000);
  });
});

describe('GET /api/health', () => {
  it('reports the database, the LLM provider and the curriculum source', async () => {
    const response = await t.app.inject({ url: '/api/health' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      status: 'healthy',
      service: 'ai-training-service',
      environment: 'development',
      database: { kind: t.testDatabase.url ? 'postgres' : 'pglite', status: 'ok' },
      llm: { provider: 'offline', model: 'offline-tutor', grader_model: 'offline-tutor' },
      curriculum: { source: 'local' },
    });
  });

  it('stays 200, degraded, when the database is gone: liveness is not the dependency gate', async () => {
    await t.testDatabase.database.close();
    const response = await t.app.inject({ url: '/api/health' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'degraded', database: { status: 'unavailable' } });
    const ready = await t.app.inject({ url: '/api/ready' });
    expect(ready.statusCode).toBe(503);
    // Unreachable, not "migrations pending": the migrations cannot be known.
    expect(ready.json().checks).toMatchObject({ database: { ok: false, detail: 'unreachable' }, migrations: { ok: false, detail: 'unreachable' } });
    // The metrics still scrape: a gauge that reads the database keeps its last value.
    expect((await t.app.inject({ url: '/metrics' })).statusCode).toBe(200);
  });
});

describe('GET /api/ready', () => {
  it('is ready on a migrated database, and not ready without the database or with migrations pending', async () => {
    const fresh = await buildTestApp();
    try {
      const ready = await fresh.app.inject({ url: '/api/ready' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({ status: 'ready', checks: { database: { ok: true }, migrations: { ok: true } } });

      // The newest migration forgotten, as on a database that an older release migrated.
      await fresh.testDatabase.database.db.execute(
        sql`delete from drizzle.__drizzle_migrations where created_at = (select max(created_at) from drizzle.__drizzle_migrations)`,
      );
      const behind = await fresh.app.inject({ url: '/api/ready' });
      expect(behind.statusCode).toBe(503);
      expect(behind.json().checks.migrations).toEqual({ ok: false, detail: '1 migration(s) not applied' });
      // Back once the migration is recorded again (migrations are idempotent: `npm run db:migrate` does this).
      await fresh.testDatabase.database.db.execute(
        sql`insert into drizzle.__drizzle_migrations (hash, created_at) values ('restored', ${readMigrationFiles({ migrationsFolder }).at(-1)!.folderMillis})`,
      );
      expect((await fresh.app.inject({ url: '/api/ready' })).statusCode).toBe(200);

      await fresh.testDatabase.database.close();
      const down = await fresh.app.inject({ url: '/api/ready' });
      expect(down.statusCode).toBe(503);
      expect(down.json().checks.database).toEqual({ ok: false, detail: 'unreachable' });
    } finally {
      await fresh.close();
    }
  });

  it('checks Redis when it is configured', async () => {
    const withRedis = await buildTestApp({ REDIS_URL: 'redis://127.0.0.1:6379' });
    try {
      expect((await withRedis.app.inject({ url: '/api/ready' })).json().checks.redis).toEqual({ ok: true });
    } finally {
      await withRedis.close();
    }
  });
});
