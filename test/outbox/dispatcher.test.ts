import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { dotnetQueue } from '../../src/db/outbox.js';
import { assembleDeps } from '../../src/deps.js';
import { createOutboxDispatcher } from '../../src/outbox/dispatcher.js';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import { startDotnetDouble, type DotnetDouble } from '../support/dotnet-double.js';
import { startGeminiDouble, type GeminiDouble } from '../support/gemini-double.js';
import { newUserId, say, startSession } from '../support/requests.js';
import { scriptedTutor } from '../support/scripted-gemini.js';
import { postgresConfig } from '../support/test-database.js';

let dotnet: DotnetDouble;
let gemini: GeminiDouble;
let t: TestApp;
const silent = pino({ level: 'silent' });

beforeAll(async () => {
  dotnet = await startDotnetDouble();
  gemini = await startGeminiDouble(scriptedTutor);
  t = await buildTestApp({
    DOTNET_API_URL: dotnet.url,
    SERVICE_API_KEY: 'service-key',
    DOTNET_API_TIMEOUT: '0.5',
    GEMINI_API_KEY: 'k',
    GEMINI_BASE_URL: gemini.url,
    OUTBOX_MAX_BACKOFF_SECONDS: '0',
  }, { headers: { 'x-api-key': 'service-key' } });
});
afterAll(async () => {
  await t?.close();
  await gemini?.close();
  await dotnet?.close();
});
beforeEach(async () => {
  dotnet.topics.set(5, { id: 5, title: 'Variables', description: 'D', courseId: 2, courseTitle: 'Programming', learningObjectives: 'O' });
  dotnet.faults = { topic: [], context: [], complete: [] };
  // Every test starts with an empty queue.
  await t.deps.dotnet!.dispatcher.runOnce();
  dotnet.calls.length = 0;
});

const dispatcher = () => t.deps.dotnet!.dispatcher;
const syncOf = async (id: number) => (await t.app.inject({ url: `/api/sessions/${id}` })).json().progress_sync;
const completions = () => dotnet.calls.filter((call) => call.path === '/UserProgress/complete-topic');

/** A session taken to completion by the scripted Gemini tutor (2 correct answers). */
async function completedSession(userId = newUserId()): Promise<number> {
  const { id } = await startSession(t.app, { user_id: userId });
  await say(t.app, id, 'string');
  expect((await say(t.app, id, 'integer')).topic_completed).toBe(true);
  return id;
}

describe('completion notices', () => {
  it('are queued with the completing turn and delivered with the seed’s body and X-API-Key', async () => {
    const userId = newUserId();
    const id = await completedSession(userId);
    expect(completions()).toHaveLength(0);
    expect(await syncOf(id)).toBe('pending');

    expect(await dispatcher().runOnce()).toEqual({ delivered: 1, failed: 0, dead: 0 });
    const [call] = completions();
    expect(call!.apiKey).toBe('service-key');
    expect(call!.body).toEqual({ UserId: userId, TopicId: 5, CourseId: 2, CompletedAt: expect.any(String), SessionId: id });
    const session = (await t.app.inject({ url: `/api/sessions/${id}` })).json();
    expect(call!.body.CompletedAt).toBe(session.completed_at);
    expect(session.progress_sync).toBe('delivered');
    expect(await dispatcher().runOnce()).toEqual({ delivered: 0, failed: 0, dead: 0 });
  });

  it('wait while the backend is down, and are delivered exactly once when it is back', async () => {
    const id = await completedSession();
    await dotnet.down();
    try {
      expect(await dispatcher().runOnce()).toEqual({ delivered: 0, failed: 1, dead: 0 });
      const health = await t.app.inject({ url: '/api/health' });
      expect(health.statusCode).toBe(200);
      expect(health.json().outbox).toMatchObject({ pending: 1, dead: 0 });
      expect(await syncOf(id)).toBe('pending');
    } finally {
      await dotnet.up();
    }
    dotnet.faults.complete.push({ status: 503 });
    expect(await dispatcher().runOnce()).toEqual({ delivered: 0, failed: 1, dead: 0 });
    expect(await dispatcher().runOnce()).toEqual({ delivered: 1, failed: 0, dead: 0 });
    expect(await dispatcher().runOnce()).toEqual({ delivered: 0, failed: 0, dead: 0 });
    expect(dotnet.completions.filter((sessionId) => sessionId === id)).toHaveLength(1);
    expect(await syncOf(id)).toBe('delivered');
    expect((await t.app.inject({ url: '/api/health' })).json().outbox).toMatchObject({ pending: 0, oldest_pending_age_seconds: null });
  });

  it('count a 409 (already recorded by .NET) as delivered', async () => {
    const id = await completedSession();
    dotnet.completions.push(id);
    expect(await dispatcher().runOnce()).toEqual({ delivered: 1, failed: 0, dead: 0 });
    expect(await syncOf(id)).toBe('delivered');
  });

  it('left pending by a stopped service are delivered by the next one at start-up', async () => {
    const id = await completedSession();
    await dotnet.down();
    await dispatcher().runOnce();
    await dotnet.up();

    // A new process on the same database: the same wiring server.ts does, then start().
    const restarted = await assembleDeps(t.deps.config, t.testDatabase.database, silent);
    restarted.dotnet!.dispatcher.start();
    try {
      for (let i = 0; i < 50 && (await syncOf(id)) !== 'delivered'; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await restarted.dotnet!.dispatcher.stop();
    }
    expect(await syncOf(id)).toBe('delivered');
    expect(dotnet.completions.filter((sessionId) => sessionId === id)).toHaveLength(1);
  });

  it('are delivered once when two dispatchers (two instances) share the database', async () => {
    const ids = [];
    for (let i = 0; i < 6; i++) ids.push(await completedSession());
    // The second instance has its own connections on PostgreSQL; PGlite has one connection per process.
    const url = t.testDatabase.url;
    const other = url ? await openDatabase(postgresConfig(url, { DATABASE_POOL_SIZE: '3' }), { onPoolError: () => {} }) : t.testDatabase.database;
    try {
      const second = (await assembleDeps(t.deps.config, other, silent)).dotnet!.dispatcher;
      dotnet.faults.complete.push({ delayMs: 50 }, { delayMs: 50 }, { delayMs: 50 });
      const rounds = await Promise.all([dispatcher().runOnce(), second.runOnce(), dispatcher().runOnce(), second.runOnce()]);
      expect(rounds.reduce((sum, round) => sum + round.delivered, 0)).toBe(6);
    } finally {
      if (url) await other.close();
    }
    for (const id of ids) expect(dotnet.completions.filter((sessionId) => sessionId === id)).toHaveLength(1);
    expect(completions()).toHaveLength(6);
  });

  it('become dead letters after OUTBOX_MAX_AGE_HOURS, logged at error level, and can be requeued', async () => {
    const id = await completedSession();
    await dotnet.down();
    const impatient = createOutboxDispatcher({
      queue: dotnetQueue,
      what: 'completion notice',
      db: t.testDatabase.database.db,
      deliver: (payload) => t.deps.dotnet!.client.completeTopic(payload),
      config: { pollIntervalMs: 1000, maxBackoffMs: 0, maxAgeMs: 1 },
      leaseMs: 1000,
      log: pino({ level: 'error' }, { write: (line: string) => t.logs.push(JSON.parse(line)) }),
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(await impatient.runOnce()).toMatchObject({ dead: 1 });
    } finally {
      await dotnet.up();
    }
    expect(t.logs).toContainEqual(expect.objectContaining({ level: 50, sessionId: id, msg: 'completion notice is a dead letter' }));
    expect(await syncOf(id)).toBe('dead');
    expect((await t.app.inject({ url: '/api/health' })).json().outbox).toMatchObject({ dead: 1 });

    expect(await dotnetQueue.requeueDead(t.testDatabase.database.db, id)).toHaveLength(1);
    expect(await dispatcher().runOnce()).toEqual({ delivered: 1, failed: 0, dead: 0 });
    expect(await syncOf(id)).toBe('delivered');
  });
});

describe('in local-catalog mode', () => {
  let local: TestApp;
  beforeAll(async () => {
    local = await buildTestApp();
  });
  afterAll(() => local?.close());

  it('records completions locally, with no outbox row and no sync state', async () => {
    const { id } = await startSession(local.app);
    await say(local.app, id, 'string');
    await say(local.app, id, 'integer');
    const session = (await local.app.inject({ url: `/api/sessions/${id}` })).json();
    expect(session).toMatchObject({ status: 'completed', progress_sync: null });
    expect((await local.app.inject({ url: '/api/health' })).json().outbox).toBeUndefined();
  });
});
