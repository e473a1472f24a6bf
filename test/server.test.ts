import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { repoCurriculumDir } from './support/build-test-app.js';
import { startGeminiDouble } from './support/gemini-double.js';
import { scriptedTutor } from './support/scripted-gemini.js';
import { runUntilExit, startServer } from './support/server-process.js';
import { createTestDatabase, type TestDatabase } from './support/test-database.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ai-training-server-'));
  dirs.push(dir);
  return dir;
};
let testDatabase: TestDatabase | undefined;
afterAll(async () => {
  dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
  await testDatabase?.drop();
});

// Response bodies are checked by the assertions, not by types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

async function post(url: string, body: unknown): Promise<{ status: number; body: Json }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

const get = async (url: string): Promise<Json> => (await fetch(url)).json();

describe('the server process', () => {
  it("serves the README's walk-through over a real socket, and keeps it across a restart (embedded database)", async () => {
    const env = { DATA_DIR: tempDir() };
    const first = await startServer(env);
    expect(first.output()).toContain('No DATABASE_URL: using the embedded PGlite database');
    expect(first.output()).toContain('No LLM is configured');

    const started = await post(`${first.url}/api/sessions/start`, { user_id: 1, topic_id: 5, course_id: 2 });
    expect(started.status).toBe(201);
    const turn = await post(`${first.url}/api/sessions/${started.body.id}/message`, { message: 'Can you explain what variables are?' });
    expect(turn.status).toBe(200);
    expect(turn.body.ai_message).toContain('A variable is like a container');
    expect(first.output()).not.toContain('"msg":"sql"'); // learner text stays out of the log below trace level
    expect(await first.stop()).toBe(0);

    const second = await startServer(env);
    try {
      const details = await get(`${second.url}/api/sessions/${started.body.id}`);
      expect(details.messages.map((m: { content: string }) => m.content)).toEqual([
        started.body.initial_message,
        'Can you explain what variables are?',
        turn.body.ai_message,
      ]);
      // The restarted process carries on the same session: the pending question is still pending.
      const answer = await post(`${second.url}/api/sessions/${started.body.id}/message`, { message: 'string' });
      expect(answer.body.ai_message).toMatch(/^Correct!/);
    } finally {
      await second.stop();
    }
  });

  it('starts on the configured database and migrates it (DATABASE_URL in the seed’s asyncpg form on PostgreSQL)', async () => {
    testDatabase = await createTestDatabase();
    const env: Record<string, string> = testDatabase.url
      ? { DATABASE_URL: testDatabase.url.replace('postgresql://', 'postgresql+asyncpg://') }
      : { DATA_DIR: tempDir() };
    const server = await startServer({ ...env, LOG_LEVEL: 'trace' });
    try {
      const response = await fetch(`${server.url}/api/health`, { headers: { 'x-request-id': 'health-probe-1' } });
      const health = await response.json();
      expect(health).toMatchObject({ status: 'healthy', database: { kind: testDatabase.url ? 'postgres' : 'pglite', status: 'ok' } });
      expect(server.output()).not.toContain('postgres@');
      // At trace level, the query log shows each statement of a request, under the request's id.
      await vi.waitFor(() => {
        const statements = server
          .output()
          .split('\n')
          .filter((line) => line.includes('"msg":"sql"'))
          .map((line) => JSON.parse(line) as { requestId?: string; sql: string; params: unknown[] });
        expect(statements.find((line) => line.requestId === 'health-probe-1')).toMatchObject({ sql: 'select 1', params: [] });
      });
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('reads .env from the working directory, with real environment variables taking precedence', async () => {
    const cwd = tempDir();
    writeFileSync(
      path.join(cwd, '.env'),
      [`CURRICULUM_DIR=${repoCurriculumDir}`, `DATA_DIR=${path.join(cwd, 'data')}`, 'PASS_CORRECT=1', 'QUESTION_COUNT=1', 'PORT=1'].join('\n'),
    );
    const server = await startServer({}, cwd); // PORT=0 from the real environment wins over PORT=1
    try {
      const started = await post(`${server.url}/api/sessions/start`, { user_id: 1, topic_id: 5, course_id: 2 });
      const turn = await post(`${server.url}/api/sessions/${started.body.id}/message`, { message: 'string' });
      expect(turn.body.topic_completed).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it('on SIGTERM, lets a slow turn in flight finish and save before exiting', async () => {
    const gemini = await startGeminiDouble(scriptedTutor);
    const server = await startServer({ DATA_DIR: tempDir(), GEMINI_API_KEY: 'k', GEMINI_BASE_URL: gemini.url, SHUTDOWN_TIMEOUT: '10' });
    try {
      const started = await post(`${server.url}/api/sessions/start`, { user_id: 1, topic_id: 5, course_id: 2 });
      gemini.behave((request, index) => ({ ...scriptedTutor(request, index), delayMs: request.grading ? 0 : 1500 }));
      const turn = post(`${server.url}/api/sessions/${started.body.id}/message`, { message: 'string' });
      await new Promise((resolve) => setTimeout(resolve, 600));
      const exited = server.stop();
      expect((await turn).status).toBe(200);
      expect(await exited).toBe(0);
      expect(server.output()).toContain('shutting down: finishing requests in flight');
    } finally {
      await gemini.close();
    }
  });

  it('on SIGTERM, also finishes and saves a turn whose client has already gone', async () => {
    const gemini = await startGeminiDouble(scriptedTutor);
    const dataDir = tempDir();
    const env = { DATA_DIR: dataDir, GEMINI_API_KEY: 'k', GEMINI_BASE_URL: gemini.url, SHUTDOWN_TIMEOUT: '10' };
    const server = await startServer(env);
    try {
      const started = await post(`${server.url}/api/sessions/start`, { user_id: 1, topic_id: 5, course_id: 2 });
      gemini.behave((request, index) => ({ ...scriptedTutor(request, index), delayMs: request.grading ? 0 : 1500 }));
      const asked = gemini.requests.length;
      // A raw request whose socket is destroyed once the turn reached the LLM: the server sees the client gone.
      const turn = httpRequest(`${server.url}/api/sessions/${started.body.id}/message`, { method: 'POST', headers: { 'content-type': 'application/json' } });
      turn.on('error', () => {});
      turn.end(JSON.stringify({ message: 'What is a variable?' }));
      await vi.waitFor(() => expect(gemini.requests.length).toBe(asked + 1), { timeout: 5000 });
      turn.destroy();
      expect(await server.stop()).toBe(0);

      const restarted = await startServer(env);
      try {
        const details = await get(`${restarted.url}/api/sessions/${started.body.id}`);
        expect(details.messages.map((message: Json) => message.role)).toEqual(['assistant', 'user', 'assistant']);
        expect(details.messages[1].content).toBe('What is a variable?');
      } finally {
        await restarted.stop();
      }
    } finally {
      await gemini.close();
    }
  });

  it('refuses to start on bad configuration, listing every problem and no stack trace', async () => {
    const result = await runUntilExit({ PORT: 'eighty', PASS_CORRECT: '5', DATA_DIR: tempDir() });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Invalid configuration');
    expect(result.stderr).toContain('PORT:');
    expect(result.stderr).toContain('PASS_CORRECT: must not exceed QUESTION_COUNT (3)');
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it('refuses to start on a bad catalog file, naming the file and the field', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'course.yaml'), 'id: 1\ntitle: C\ntopics:\n  - id: 2\n    title: T\n');
    const result = await runUntilExit({ CURRICULUM_DIR: dir, DATA_DIR: tempDir() });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${path.join(dir, 'course.yaml')}: topics.0.description`);
  });

  it('runs with REDIS_URL, as the production checklist recommends, its keys under REDIS_KEY_PREFIX', async () => {
    const prefix = `test-${randomBytes(6).toString('hex')}:`;
    const server = await startServer({ DATA_DIR: tempDir(), REDIS_URL: 'redis://127.0.0.1:6379', REDIS_KEY_PREFIX: prefix });
    const redis = new Redis('redis://127.0.0.1:6379');
    try {
      // Redis connects in the background: reported as soon as it is.
      await vi.waitFor(async () => expect((await get(`${server.url}/api/ready`)).checks.redis).toEqual({ ok: true }), { timeout: 5000 });
      const started = await post(`${server.url}/api/sessions/start`, { user_id: 1, topic_id: 5, course_id: 2 });
      expect(started.status).toBe(201);
      // The per-address rate limit counted that request in Redis, under this run's prefix.
      expect(await redis.keys(`${prefix}*`)).not.toEqual([]);
      expect((await get(`${server.url}/api/health`)).redis).toEqual({ status: 'ok' });
    } finally {
      await server.stop();
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
  });

  it('refuses a second process on the same DATA_DIR, naming the directory and the holder; a killed holder does not block', async () => {
    const dataDir = tempDir();
    const first = await startServer({ DATA_DIR: dataDir });
    const second = await runUntilExit({ DATA_DIR: dataDir });
    expect(second.code).toBe(1);
    expect(second.stderr.trim().split('\n')).toEqual([expect.stringContaining(`DATA_DIR ${dataDir} is in use by process ${first.child.pid}`)]);
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    expect(existsSync(path.join(dataDir, 'service.lock'))).toBe(true);

    const third = await startServer({ DATA_DIR: dataDir });
    try {
      expect((await post(`${third.url}/api/sessions/start`, { user_id: 1, topic_id: 5, course_id: 2 })).status).toBe(201);
    } finally {
      expect(await third.stop()).toBe(0);
    }
    expect(existsSync(path.join(dataDir, 'service.lock'))).toBe(false);
  });

  it('says in one line what to fix when PostgreSQL cannot be reached, and shows the stack only with DEBUG=true', async () => {
    const closed = createHttpServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const env = { DATABASE_URL: `postgresql://svc:secret-password@127.0.0.1:${port}/tutoring` };
    const result = await runUntilExit(env);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      `PostgreSQL at 127.0.0.1:${port} refused the connection: start PostgreSQL there, or fix the host and port in DATABASE_URL`,
    ]);
    expect(result.stderr + result.stdout).not.toContain('secret-password');
    const debug = await runUntilExit({ ...env, DEBUG: 'true' });
    expect(debug.stderr).toMatch(/^\s+at /m);
  });

  it('says in one line what to fix when the port is taken or DATA_DIR cannot be used', async () => {
    const taken = createHttpServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const result = await runUntilExit({ DATA_DIR: tempDir(), PORT: String(port) });
      expect(result.code).toBe(1);
      expect(result.stderr.trim().split('\n')).toEqual([`Port ${port} is already in use on 127.0.0.1: stop what listens there, or set PORT`]);
    } finally {
      taken.close();
    }
    const file = path.join(tempDir(), 'a-file');
    writeFileSync(file, '');
    const result = await runUntilExit({ DATA_DIR: file });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^DATA_DIR ${file} cannot hold the embedded database .*set DATA_DIR`))]);
  });

  it('refuses the offline tutor with the .NET curriculum, saying what to configure', async () => {
    const result = await runUntilExit({ DATA_DIR: tempDir(), DOTNET_API_URL: 'http://127.0.0.1:9' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('LLM_PROVIDER: the offline tutor grades from a question bank');
    expect(result.stderr).toContain('set GEMINI_API_KEY');
  });
});
