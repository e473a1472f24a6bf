import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chatSessions } from '../../src/db/schema.js';
import { buildSecondInstance, buildTestApp, type TestApp } from '../support/build-test-app.js';
import { startGeminiDouble, type GeminiDouble } from '../support/gemini-double.js';
import { expectProblem, newUserId, say, sendMessage, startSession } from '../support/requests.js';
import { scriptedTutor } from '../support/scripted-gemini.js';

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
