import { createHash } from 'node:crypto';
import { count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chatSessions, idempotencyKeys } from '../../src/db/schema.js';
import { buildSecondInstance, buildTestApp, type TestApp } from '../support/build-test-app.js';
import { startGeminiDouble, type GeminiDouble } from '../support/gemini-double.js';
import { expectProblem, newUserId, say, sendMessage, startSession } from '../support/requests.js';
import { scriptedTutor } from '../support/scripted-gemini.js';
import { rowCounts } from '../support/snapshot.js';

let gemini: GeminiDouble;
let t: TestApp;
let second: Awaited<ReturnType<typeof buildSecondInstance>>;

beforeAll(async () => {
  gemini = await startGeminiDouble(scriptedTutor);
  t = await buildTestApp({ GEMINI_API_KEY: 'k', GEMINI_BASE_URL: gemini.url, LLM_MAX_RETRIES: '0' });
  second = await buildSecondInstance(t);
});
afterAll(async () => {
  await second?.close();
  await t?.close();
  await gemini?.close();
});
beforeEach(() => {
  gemini.behave(scriptedTutor);
});

const slowTutor = () => gemini.behave((request, index) => ({ ...scriptedTutor(request, index), delayMs: request.grading ? 0 : 400 }));
const conversation = async (id: number) =>
  (await t.app.inject({ url: `/api/sessions/${id}` })).json().messages.map((m: { role: string }) => m.role);

/** A turn on a new session, sent and left waiting on the (slow) tutor's reply. */
async function turnWaitingOnTheTutor(message: string) {
  const { id } = await startSession(t.app);
  slowTutor();
  const asked = gemini.requests.length;
  const turn = sendMessage(t.app, id, message);
  await expect.poll(() => gemini.requests.slice(asked).some((request) => !request.grading)).toBe(true);
  return { id, turn };
}

describe('two messages to one session at once', () => {
  it('on two instances: exactly one proceeds, the other gets 409 turn_in_progress, and history never interleaves', async () => {
    const { id } = await startSession(t.app);
    slowTutor();
    const [a, b] = await Promise.all([sendMessage(t.app, id, 'string'), sendMessage(second.app, id, 'integer')]);
    const statuses = [a.statusCode, b.statusCode].sort();
    expect(statuses).toEqual([200, 409]);
    expectProblem([a, b].find((r) => r.statusCode === 409)!, 409, 'turn_in_progress');
    expect(await conversation(id)).toEqual(['assistant', 'user', 'assistant']);

    // The lease ended with the turn: the next message goes through.
    gemini.behave(scriptedTutor);
    expect((await sendMessage(second.app, id, 'integer')).statusCode).toBe(200);
  });

  it('never completes a session twice', async () => {
    const { id } = await startSession(t.app);
    await say(t.app, id, 'string');
    slowTutor();
    const results = await Promise.all([sendMessage(t.app, id, 'integer'), sendMessage(second.app, id, 'integer'), sendMessage(t.app, id, 'integer')]);
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
    expect(results.filter((r) => r.statusCode === 200)[0]!.json().topic_completed).toBe(true);
    expect(await conversation(id)).toHaveLength(5);
  });

  it('a turn whose lease another turn took while the LLM answered saves nothing: 409 turn_conflict', async () => {
    // An answer: graded, so the turn writes in a transaction.
    const { id, turn } = await turnWaitingOnTheTutor('string');
    // As if the lease had run out and another instance's turn had taken the session.
    await t.testDatabase.database.db.update(chatSessions).set({ turnLeaseToken: 'another-turn' }).where(eq(chatSessions.id, id));
    expectProblem(await turn, 409, 'turn_conflict');
    expect(await conversation(id)).toEqual(['assistant']);
    const [session] = await t.testDatabase.database.db.select().from(chatSessions).where(eq(chatSessions.id, id));
    expect(session!.turnLeaseToken).toBe('another-turn');
  });

  it('a session abandoned while its turn waits on the LLM takes nothing from that turn', async () => {
    // A question of the learner's own: the turn only adds its two messages, in one statement.
    const { id, turn } = await turnWaitingOnTheTutor('What does a variable hold?');
    expect((await t.app.inject({ method: 'POST', url: `/api/sessions/${id}/abandon` })).statusCode).toBe(200);
    expectProblem(await turn, 409, 'session_not_active');
    expect(await conversation(id)).toEqual(['assistant']);
  });

  it('a failed turn releases the session at once', async () => {
    const { id } = await startSession(t.app);
    gemini.behave(() => ({ status: 500 }));
    expectProblem(await sendMessage(t.app, id, 'string'), 503, 'dependency_unavailable');
    gemini.behave(scriptedTutor);
    expect((await sendMessage(t.app, id, 'string')).statusCode).toBe(200);
  });
});

describe('Idempotency-Key', () => {
  const startWithKey = (app: TestApp['app'], key: string, userId: number, topicId = 5) =>
    app.inject({
      method: 'POST',
      url: '/api/sessions/start',
      headers: { 'idempotency-key': key },
      payload: { user_id: userId, topic_id: topicId, course_id: 2 },
    });
  const sessionsOf = async (userId: number) =>
    (await t.testDatabase.database.db.select({ n: count() }).from(chatSessions).where(eq(chatSessions.userId, userId)))[0]!.n;

  it('replays a start, on any instance, without starting a second session', async () => {
    const userId = newUserId();
    gemini.requests.length = 0;
    const first = await startWithKey(t.app, 'start-1', userId);
    const calls = gemini.requests.length;
    const again = await startWithKey(second.app, 'start-1', userId);
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(gemini.requests.length).toBe(calls);
    expect(await sessionsOf(userId)).toBe(1);
  });

  it('refuses the same key with a different body, and changes nothing', async () => {
    const userId = newUserId();
    await startWithKey(t.app, 'start-2', userId);
    expectProblem(await startWithKey(t.app, 'start-2', userId, 6), 422, 'idempotency_key_reused');
    expect(await sessionsOf(userId)).toBe(1);
  });

  it('replays a message turn without a second LLM call', async () => {
    const { id } = await startSession(t.app);
    const send = (app: TestApp['app']) =>
      app.inject({ method: 'POST', url: `/api/sessions/${id}/message`, headers: { 'idempotency-key': 'msg-1' }, payload: { message: 'string' } });
    const first = await send(t.app);
    gemini.requests.length = 0;
    const again = await send(second.app);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(first.json());
    expect(gemini.requests).toHaveLength(0);
    expect(await conversation(id)).toEqual(['assistant', 'user', 'assistant']);
  });

  it('lets a failed request be retried with the same key', async () => {
    const { id } = await startSession(t.app);
    gemini.behave(() => ({ status: 500 }));
    const send = () =>
      t.app.inject({ method: 'POST', url: `/api/sessions/${id}/message`, headers: { 'idempotency-key': 'msg-2' }, payload: { message: 'string' } });
    expectProblem(await send(), 503, 'dependency_unavailable');
    gemini.behave(scriptedTutor);
    expect((await send()).statusCode).toBe(200);
  });

  it('forgets keys after IDEMPOTENCY_TTL_HOURS', async () => {
    const shortLived = await buildTestApp({ IDEMPOTENCY_TTL_HOURS: '0.00001' }); // 36 ms
    try {
      const userId = newUserId();
      const first = await startWithKey(shortLived.app, 'k', userId);
      await new Promise((resolve) => setTimeout(resolve, 80));
      const later = await startWithKey(shortLived.app, 'k', userId);
      expect(later.statusCode).toBe(201);
      expect(later.json().id).not.toBe(first.json().id);
    } finally {
      await shortLived.close();
    }
  });
});

describe('after a crash or a lost connection', () => {
  const db = () => t.testDatabase.database.db;
  const sendWithKey = (id: number, key: string, message: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: `/api/sessions/${id}/message`, headers: { 'idempotency-key': key, ...headers }, payload: { message } });

  it('a retry takes over a key whose request stopped renewing its claim, and runs the turn', async () => {
    const { id } = await startSession(t.app);
    const body = { message: 'string' };
    // What a request killed mid-turn leaves: the key claimed, no answer, its claim lapsed.
    await db().insert(idempotencyKeys).values({
      scope: `open POST /api/sessions/:id/message {"id":${id}}`,
      key: 'crashed',
      requestHash: createHash('sha256').update(JSON.stringify(body)).digest('hex'),
      owner: 'a-dead-request',
      lockedUntil: sql`now() - interval '1 second'`,
      expiresAt: sql`now() + interval '1 hour'`,
    });
    const retried = await sendWithKey(id, 'crashed', 'string');
    expect(retried.statusCode).toBe(200);
    expect((await sendWithKey(id, 'crashed', 'string')).headers['idempotent-replayed']).toBe('true');
  });

  it('while the claim holds, a retry is 409 request_in_progress with Retry-After', async () => {
    const { id } = await startSession(t.app);
    await db().insert(idempotencyKeys).values({
      scope: `open POST /api/sessions/:id/message {"id":${id}}`,
      key: 'running',
      requestHash: createHash('sha256').update(JSON.stringify({ message: 'string' })).digest('hex'),
      owner: 'a-live-request',
      lockedUntil: sql`now() + interval '1 minute'`,
      expiresAt: sql`now() + interval '1 hour'`,
    });
    const response = await sendWithKey(id, 'running', 'string');
    expectProblem(response, 409, 'request_in_progress');
    expect(response.headers['retry-after']).toBeDefined();
  });

  it('a session whose turn lease lapsed (its process died) takes messages again', async () => {
    const { id } = await startSession(t.app);
    await db()
      .update(chatSessions)
      .set({ turnLeaseToken: 'a-dead-turn', turnLeaseUntil: sql`now() - interval '1 second'` })
      .where(eq(chatSessions.id, id));
    expect((await sendMessage(t.app, id, 'string')).statusCode).toBe(200);
  });

  it('stores the answer in the turn’s own transaction: if it cannot be stored, nothing of the turn is saved', async () => {
    const { id } = await startSession(t.app);
    await db().execute(
      sql.raw(`CREATE OR REPLACE FUNCTION fail_answer() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.status_code IS NOT NULL THEN RAISE EXCEPTION 'answer not stored'; END IF; RETURN NEW; END $$`),
    );
    await db().execute(sql`CREATE TRIGGER fail_answer BEFORE UPDATE ON idempotency_keys FOR EACH ROW EXECUTE FUNCTION fail_answer()`);
    try {
      const before = await rowCounts(db());
      expect((await sendWithKey(id, 'unstorable', 'string')).statusCode).toBe(500);
      expect(await rowCounts(db())).toEqual(before);
    } finally {
      await db().execute(sql`DROP TRIGGER fail_answer ON idempotency_keys`);
    }
    expect((await sendWithKey(id, 'unstorable', 'string')).statusCode).toBe(200);
    expect(await conversation(id)).toEqual(['assistant', 'user', 'assistant']);
  });

  it('a purge forgets the answers past their time, and only those', async () => {
    await db().insert(idempotencyKeys).values([
      { scope: 'purge-test', key: 'old', requestHash: 'h', statusCode: 200, response: {}, expiresAt: sql`now() - interval '1 second'` },
      { scope: 'purge-test', key: 'new', requestHash: 'h', statusCode: 200, response: {}, expiresAt: sql`now() + interval '1 hour'` },
    ]);
    expect((await t.deps.retention.runOnce()).keys).toBeGreaterThanOrEqual(1);
    const left = await db().select({ key: idempotencyKeys.key }).from(idempotencyKeys).where(eq(idempotencyKeys.scope, 'purge-test'));
    expect(left).toEqual([{ key: 'new' }]);
  });

  it('a replay of a streamed request answers as a stream', async () => {
    const { id } = await startSession(t.app);
    const stream = { accept: 'text/event-stream' };
    const first = await sendWithKey(id, 'streamed', 'string', stream);
    const again = await sendWithKey(id, 'streamed', 'string', stream);
    expect(again.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const done = (text: string) => JSON.parse(/event: done\ndata: (.*)/.exec(text)![1]!);
    expect(done(again.body)).toEqual(done(first.body));
    expect(again.body).toContain(`event: delta\ndata: ${JSON.stringify({ text: done(first.body).ai_message })}`);
  });
});

describe('a turn that outlives TURN_LEASE_TTL_SECONDS', () => {
  it('keeps its session: the lease is renewed while the turn runs', async () => {
    const leased = await buildTestApp({ GEMINI_API_KEY: 'k', GEMINI_BASE_URL: gemini.url, LLM_MAX_RETRIES: '0', TURN_LEASE_TTL_SECONDS: '1' });
    try {
      const { id } = await startSession(leased.app);
      const asked = gemini.requests.length;
      // The turn's first model call outlasts the lease's first term.
      gemini.behave((request, index) => ({ ...scriptedTutor(request, index), delayMs: index === asked ? 2000 : 0 }));
      const turn = sendMessage(leased.app, id, 'What is a variable?');
      await expect.poll(() => gemini.requests.length > asked).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 1500)); // past the lease's first term
      expectProblem(await sendMessage(leased.app, id, 'string'), 409, 'turn_in_progress');
      expect((await turn).statusCode).toBe(200);
    } finally {
      await leased.close();
    }
  });
});
