import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import { expectProblem, newUserId, say, sendMessage, startSession } from '../support/requests.js';

const secret = 'a-test-secret-of-at-least-32-characters!';
const bearer = async (userId: number) => ({
  authorization: `Bearer ${await new SignJWT({ sub: String(userId) }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(secret))}`,
});

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ SESSION_IDLE_TIMEOUT_MINUTES: '0.01' }); // 600 ms
});
afterAll(() => t?.close());

describe('POST /api/sessions/{id}/abandon', () => {
  it('ends an active session, which then takes no messages', async () => {
    const { id } = await startSession(t.app);
    const response = await t.app.inject({ method: 'POST', url: `/api/sessions/${id}/abandon` });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id, status: 'abandoned', completed_at: null });
    expectProblem(await sendMessage(t.app, id, 'string'), 409, 'session_not_active');
    expectProblem(await t.app.inject({ method: 'POST', url: `/api/sessions/${id}/abandon` }), 409, 'session_not_active');
  });

  it('refuses a completed session, and an unknown one', async () => {
    const { id } = await startSession(t.app);
    await say(t.app, id, 'string');
    await say(t.app, id, 'integer');
    expectProblem(await t.app.inject({ method: 'POST', url: `/api/sessions/${id}/abandon` }), 409, 'session_not_active');
    expectProblem(await t.app.inject({ method: 'POST', url: '/api/sessions/777777/abandon' }), 404, 'session_not_found');
  });
});

describe('the idle sweep', () => {
  it('abandons sessions idle longer than SESSION_IDLE_TIMEOUT_MINUTES, and only those', async () => {
    const idle = await startSession(t.app);
    await new Promise((resolve) => setTimeout(resolve, 800));
    const fresh = await startSession(t.app);
    const abandoned = await t.deps.idleSweep.runOnce();
    expect(abandoned).toContain(idle.id);
    expect(abandoned).not.toContain(fresh.id);
    expect((await t.app.inject({ url: `/api/sessions/${idle.id}` })).json().status).toBe('abandoned');
    expect((await t.app.inject({ url: `/api/sessions/${fresh.id}` })).json().status).toBe('active');
  });
});

describe('GET /api/sessions', () => {
  it("lists a user's sessions newest first, a page at a time", async () => {
    const userId = newUserId();
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await startSession(t.app, { user_id: userId })).id);
    const first = (await t.app.inject({ url: `/api/sessions?user_id=${userId}&limit=2` })).json();
    expect(first.sessions.map((s: { id: number }) => s.id)).toEqual([ids[2], ids[1]]);
    const second = (await t.app.inject({ url: `/api/sessions?user_id=${userId}&limit=2&before=${first.next_before}` })).json();
    expect(second).toEqual({ sessions: [expect.objectContaining({ id: ids[0], user_id: userId })], next_before: null });
  });

  it('needs user_id from callers without a token, and rejects unknown parameters', async () => {
    expectProblem(await t.app.inject({ url: '/api/sessions' }), 422, 'validation_failed');
    expectProblem(await t.app.inject({ url: '/api/sessions?user_id=1&status=active' }), 422, 'validation_failed');
    expectProblem(await t.app.inject({ url: '/api/sessions?user_id=1&limit=1000' }), 422, 'validation_failed');
  });

  it("shows a learner with a token only their own sessions, and only they may abandon them", async () => {
    const withAuth = await buildTestApp({ AUTH_JWT_SECRET: secret, SERVICE_API_KEY: 'key' });
    try {
      const mine = await withAuth.app.inject({
        method: 'POST',
        url: '/api/sessions/start',
        headers: await bearer(31),
        payload: { user_id: 31, topic_id: 5, course_id: 2 },
      });
      const list = (await withAuth.app.inject({ url: '/api/sessions', headers: await bearer(31) })).json();
      expect(list.sessions.map((s: { id: number }) => s.id)).toEqual([mine.json().id]);
      expectProblem(await withAuth.app.inject({ url: '/api/sessions?user_id=32', headers: await bearer(31) }), 403, 'forbidden');
      const abandon = await withAuth.app.inject({ method: 'POST', url: `/api/sessions/${mine.json().id}/abandon`, headers: await bearer(32) });
      expectProblem(abandon, 404, 'session_not_found');
    } finally {
      await withAuth.close();
    }
  });
});
