import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startDotnetDouble, type DotnetDouble } from '../support/dotnet-double.js';
import { startGeminiDouble, type GeminiDouble } from '../support/gemini-double.js';
import { runLearner, sendUntilDone, type RetryingClient, type Seen } from '../support/learner.js';
import { scriptedTutor } from '../support/scripted-gemini.js';
import { runUntilExit, startServer, type ServerProcess } from '../support/server-process.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { backendsEnv, expectWholeSessions } from './consistency.js';

// Only in the PostgreSQL pass: the built service, on PostgreSQL behind a TCP proxy that resets, refuses and silences
// its connections, with learners retrying as clients should. Timeouts are configured small, so that each fault is
// detected in a fraction of a test's time; no assertion is about how long anything took.

const serviceKey = 'fault-suite-key';
let testDatabase: TestDatabase;
let proxy: TcpProxy;
let dotnet: DotnetDouble;
let gemini: GeminiDouble;
let env: Record<string, string>;
let server: ServerProcess;
let nextUser = 1;

const topic = { id: 5, title: 'Variables and Data Types', description: 'D', courseId: 2, courseTitle: 'Programming', learningObjectives: 'O' };

beforeAll(async () => {
  testDatabase = await createTestDatabase();
  const direct = new URL(testDatabase.url!);
  proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
  const viaProxy = new URL(direct);
  viaProxy.host = `127.0.0.1:${proxy.port}`;
  viaProxy.searchParams.set('application_name', 'service-under-fault');
  dotnet = await startDotnetDouble();
  dotnet.topics.set(5, topic);
  gemini = await startGeminiDouble(scriptedTutor);
  env = {
    DATABASE_URL: viaProxy.toString(),
    DATABASE_POOL_SIZE: '4',
    DATABASE_CONNECT_TIMEOUT: '1',
    DATABASE_STATEMENT_TIMEOUT: '2',
    DATABASE_IDLE_IN_TRANSACTION_TIMEOUT: '2',
    READY_CHECK_TIMEOUT_MS: '300',
    ...backendsEnv(dotnet, gemini),
    SERVICE_API_KEY: serviceKey,
    RATE_LIMIT_PER_MINUTE: '0',
    RATE_LIMIT_PER_IP_PER_MINUTE: '0',
  };
  server = await startServer(env);
});
afterAll(async () => {
  await server?.stop();
  await proxy?.close();
  await gemini?.close();
  await dotnet?.close();
  await testDatabase?.drop();
});

const client = (seen: Seen = new Map()): RetryingClient => ({ baseUrl: () => server.url, headers: { 'x-api-key': serviceKey }, seen });
const alive = () => server.child.exitCode === null && server.child.signalCode === null;

/** Runs `learners` learners to completion while `during` injects faults; returns what they saw and did. */
async function underLoad(learners: number, during: () => Promise<void>) {
  const seen: Seen = new Map();
  const running = Promise.all(Array.from({ length: learners }, () => runLearner(client(seen), nextUser++)));
  await during();
  try {
    return { seen, results: await running };
  } catch (error) {
    // What the service logged tells why a learner could not finish.
    throw new Error(`${(error as Error).message}\n--- the service's log ---\n${server.output().slice(-6000)}`);
  }
}

/** Calls `fault` every `everyMs`, `times` times. */
const repeatedly = (fault: () => unknown, everyMs: number, times: number) => async () => {
  for (let i = 0; i < times; i++) {
    await new Promise((resolve) => setTimeout(resolve, everyMs));
    await fault();
  }
};

/** The outcome every fault test asserts: the process lives, no 500, every learner done, every session whole. */
async function expectSurvived({ seen, results }: Awaited<ReturnType<typeof underLoad>>) {
  expect(alive()).toBe(true);
  expect([...seen.keys()].filter((status) => status.startsWith('5') && status !== '503')).toEqual([]);
  expect(results.every((result) => result.completed)).toBe(true);
  await expectWholeSessions(client(), testDatabase, dotnet, results);
}

async function terminateServiceConnections() {
  await testDatabase.database.db.execute(
    sql`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'service-under-fault' and pid <> pg_backend_pid()`,
  );
}

describe('under write load', () => {
  it('connections reset mid-transaction: the process lives, no 500, every turn whole, every completion once', async () => {
    await expectSurvived(await underLoad(8, repeatedly(() => proxy.resetAll(), 150, 10)));
  });

  it('backends terminated by the server (pg_terminate_backend) mid-transaction: the same', async () => {
    await expectSurvived(await underLoad(8, repeatedly(() => terminateServiceConnections().catch(() => {}), 120, 10)));
  });

  it('the database refusing connections for a while: 503 dependency_unavailable with Retry-After, live but not ready, then recovered', async () => {
    const outcome = await underLoad(8, async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      await proxy.refuse();
      try {
        const refused = await fetch(`${server.url}/api/sessions/1`, { headers: { 'x-api-key': serviceKey } });
        expect(refused.status).toBe(503);
        expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(await refused.json()).toMatchObject({ code: 'dependency_unavailable' });
        const health = await fetch(`${server.url}/api/health`);
        expect(health.status).toBe(200);
        expect(await health.json()).toMatchObject({ status: 'degraded', database: { status: 'unavailable' } });
        expect((await fetch(`${server.url}/api/ready`)).status).toBe(503);
        expect((await fetch(`${server.url}/metrics`)).status).toBe(200); // what matters most during an outage
        await new Promise((resolve) => setTimeout(resolve, 500));
      } finally {
        await proxy.restore();
      }
    });
    expect(outcome.seen.get('503') ?? 0).toBeGreaterThan(0);
    await expectSurvived(outcome);
    await vi.waitFor(async () => expect((await fetch(`${server.url}/api/ready`)).status).toBe(200), { timeout: 10_000, interval: 100 });
  });

  it('a silent database (a partition): readiness 503 within its check timeout, requests 503 instead of hanging, then recovered', async () => {
    const outcome = await underLoad(8, async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      proxy.blackhole();
      try {
        const ready = await fetch(`${server.url}/api/ready`);
        expect(ready.status).toBe(503);
        expect(((await ready.json()) as { checks: Record<string, unknown> }).checks.database).toEqual({ ok: false, detail: 'no answer within 300 ms' });
        expect(await (await fetch(`${server.url}/api/health`)).json()).toMatchObject({ status: 'degraded' });
        // No wall-clock bound: the request ends, with a 503, because every database wait is bounded.
        const read = await fetch(`${server.url}/api/sessions/1`, { headers: { 'x-api-key': serviceKey } });
        expect(read.status).toBe(503);
        expect(await read.json()).toMatchObject({ code: 'dependency_unavailable' });
      } finally {
        await proxy.restore();
      }
    });
    await expectSurvived(outcome);
    await vi.waitFor(async () => expect((await fetch(`${server.url}/api/ready`)).status).toBe(200), { timeout: 15_000, interval: 200 });
  });
});

describe('the service killed mid-turn (kill -9)', () => {
  it('a client retrying with its Idempotency-Key gets its turn from the restarted service once the lease lapses', async () => {
    const seen: Seen = new Map();
    const { body: started } = await sendUntilDone(client(seen), {
      method: 'POST',
      path: '/api/sessions/start',
      body: { user_id: nextUser++, topic_id: 5, course_id: 2 },
    });
    // The tutor model takes its time: the process is killed while the turn waits for it.
    gemini.behave((request, index) => ({ ...scriptedTutor(request, index), delayMs: request.grading ? 0 : 5_000 }));
    const asked = gemini.requests.length;
    const key = 'the-killed-turn';
    const first = fetch(`${server.url}/api/sessions/${started.id}/message`, {
      method: 'POST',
      headers: { 'x-api-key': serviceKey, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({ message: 'string' }),
    }).catch(() => 'network error');
    await vi.waitFor(() => expect(gemini.requests.length).toBeGreaterThan(asked + 1), { timeout: 10_000 });
    server.child.kill('SIGKILL');
    expect(await first).toBe('network error');
    gemini.behave(scriptedTutor);

    server = await startServer(env);
    const retried = await sendUntilDone(client(seen), { method: 'POST', path: `/api/sessions/${started.id}/message`, body: { message: 'string' }, key });
    expect(retried.status).toBe(200);
    expect(seen.get('409') ?? 0).toBeGreaterThan(0); // the crashed turn's lease held until it lapsed
    const again = await sendUntilDone(client(seen), { method: 'POST', path: `/api/sessions/${started.id}/message`, body: { message: 'string' }, key });
    expect(again.body).toEqual(retried.body); // replayed, not run twice
    const details = await sendUntilDone(client(), { method: 'GET', path: `/api/sessions/${started.id}` });
    expect(details.body.messages.map((message: { role: string; content: string }) => message.content)).toEqual([
      started.initial_message,
      'string',
      retried.body.ai_message,
    ]);
  });
});

describe('start-up', () => {
  it('says in one line which database is missing, and how to make it', async () => {
    const missing = new URL(testDatabase.url!);
    missing.pathname = '/no_such_database_here';
    const result = await runUntilExit({ DATABASE_URL: missing.toString() });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      `PostgreSQL at ${missing.hostname}:${missing.port || 5432} has no database "no_such_database_here": ` +
        'create it (createdb no_such_database_here) or fix the database name in DATABASE_URL',
    ]);
  });
});
