import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import { expectProblem, sendMessage, startSession } from '../support/requests.js';
import { rowCounts } from '../support/snapshot.js';

let t: TestApp;
let sessionId: number;
let countsBefore: Record<string, number>;

beforeAll(async () => {
  t = await buildTestApp();
  sessionId = (await startSession(t.app)).id;
});
afterAll(() => t?.close());

// Every case here is a request that must fail and change nothing.
beforeEach(async () => {
  countsBefore = await rowCounts(t.testDatabase.database.db);
  return async () => expect(await rowCounts(t.testDatabase.database.db)).toEqual(countsBefore);
});

const start = (payload: string | object, contentType = 'application/json') =>
  t.app.inject({
    method: 'POST',
    url: '/api/sessions/start',
    headers: { 'content-type': contentType },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });

describe('malformed requests', () => {
  it('400 for a body that is not JSON', async () => {
    expectProblem(await start('{"user_id": 1,'), 400, 'invalid_json');
  });

  it('400 for an empty JSON body', async () => {
    expectProblem(await start(''), 400, 'invalid_json');
  });

  it('415 for a body that is not JSON at all', async () => {
    expectProblem(await start('user_id=1', 'application/x-www-form-urlencoded'), 415, 'unsupported_media_type');
  });

  it('413 for a body over the limit', async () => {
    const huge = 'x'.repeat(t.deps.config.bodyLimitBytes + 1);
    expectProblem(await sendMessage(t.app, sessionId, huge), 413, 'payload_too_large');
  });

  it('404 for an unknown route, in the same shape', async () => {
    const body = expectProblem(await t.app.inject({ url: '/api/nothing-here?x=1' }), 404, 'not_found');
    expect(body.detail).toBe('No route for GET /api/nothing-here.');
  });
});

describe('POST /api/sessions/start validation', () => {
  it('422 listing every missing field', async () => {
    const body = expectProblem(await start({}), 422, 'validation_failed');
    expect((body.errors as { path: string }[]).map((e) => e.path).sort()).toEqual(['course_id', 'topic_id', 'user_id']);
  });

  it('422 for unknown fields: no mass assignment of status or timestamps', async () => {
    const body = expectProblem(
      await start({ user_id: 1, topic_id: 5, course_id: 2, status: 'completed', completed_at: '2025-01-01T00:00:00Z' }),
      422,
      'validation_failed',
    );
    expect(body.detail).toMatch(/Unrecognized keys: "status", "completed_at"/);
  });

  it.each([
    ['a numeric string', '1'],
    ['zero', 0],
    ['a negative number', -3],
    ['a fraction', 1.5],
    ['a number beyond the integer range', 2147483648],
    ['null', null],
  ])('422 for user_id as %s', async (_case, userId) => {
    const body = expectProblem(await start({ user_id: userId, topic_id: 5, course_id: 2 }), 422, 'validation_failed');
    expect(body.errors).toEqual([expect.objectContaining({ location: 'body', path: 'user_id' })]);
  });

  it('404 for an unknown topic', async () => {
    const body = expectProblem(await start({ user_id: 1, topic_id: 999, course_id: 2 }), 404, 'topic_not_found');
    expect(body.detail).toBe('Topic 999 does not exist.');
  });

  it('404 for a topic that is not in the given course', async () => {
    const body = expectProblem(await start({ user_id: 1, topic_id: 5, course_id: 3 }), 404, 'course_not_found');
    expect(body.detail).toBe('Topic 5 is not part of course 3.');
  });
});

describe('POST /api/sessions/{id}/message validation', () => {
  it('404 for an unknown session', async () => {
    expectProblem(await sendMessage(t.app, 987654, 'hello'), 404, 'session_not_found');
  });

  it.each(['abc', '0', '-1', '1.5', '99999999999'])('422 for the session id %s', async (id) => {
    const response = await t.app.inject({ method: 'POST', url: `/api/sessions/${id}/message`, payload: { message: 'hi' } });
    const body = expectProblem(response, 422, 'validation_failed');
    expect(body.errors).toEqual([expect.objectContaining({ location: 'params', path: 'id' })]);
  });

  it.each([
    ['empty', ''],
    ['only whitespace', ' \n\t '],
    ['a NUL byte', 'string\u0000'],
    ['a control character', 'str\u0007ing'],
    ['over MAX_MESSAGE_LENGTH characters', 'é'.repeat(5001)],
  ])('422 for a message that is %s', async (_case, message) => {
    const body = expectProblem(await sendMessage(t.app, sessionId, message), 422, 'validation_failed');
    expect(body.errors).toEqual([expect.objectContaining({ location: 'body', path: 'message' })]);
  });

  it('422 for a message that is not a string, or missing', async () => {
    const numeric = await t.app.inject({ method: 'POST', url: `/api/sessions/${sessionId}/message`, payload: { message: 42 } });
    expectProblem(numeric, 422, 'validation_failed');
    const missing = await t.app.inject({ method: 'POST', url: `/api/sessions/${sessionId}/message` });
    expectProblem(missing, 422, 'validation_failed');
  });

  it('422 for unknown fields', async () => {
    const response = await t.app.inject({
      method: 'POST',
      url: `/api/sessions/${sessionId}/message`,
      payload: { message: 'string', topic_completed: true },
    });
    expectProblem(response, 422, 'validation_failed');
  });
});

describe('GET /api/sessions/{id}', () => {
  it('404 for an unknown session, 422 for a malformed id', async () => {
    expectProblem(await t.app.inject({ url: '/api/sessions/424242' }), 404, 'session_not_found');
    expectProblem(await t.app.inject({ url: '/api/sessions/first' }), 422, 'validation_failed');
  });
});
