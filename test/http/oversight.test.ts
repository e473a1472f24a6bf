import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import { expectProblem } from '../support/requests.js';

// The oversight routes (/api/admin/...): who may call them, and what they answer, on sessions whose figures are known.

const secret = 'a-test-secret-of-at-least-32-characters!';
const serviceKey = 'the-service-key-of-the-backend';
const adminKey = 'the-admin-key-of-the-operators';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ SERVICE_API_KEY: serviceKey, ADMIN_API_KEY: adminKey, AUTH_JWT_SECRET: secret });
});
afterAll(() => t?.close());

const token = (claims: Record<string, unknown>) =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(secret));
const bearer = async (claims: Record<string, unknown>) => ({ authorization: `Bearer ${await token(claims)}` });

const asService = { 'x-api-key': serviceKey };
const asAdmin = { 'x-api-key': adminKey };

async function post(url: string, payload?: Record<string, unknown>) {
  const response = await t.app.inject({ method: 'POST', url, payload, headers: asService });
  expect(response.statusCode, response.body).toBeLessThan(300);
  return response.json();
}
const start = (userId: number, topicId = 5) => post('/api/sessions/start', { user_id: userId, topic_id: topicId, course_id: 2 });
const say = (sessionId: number, message: string) => post(`/api/sessions/${sessionId}/message`, { message });
const get = (url: string, headers: Record<string, string> = asAdmin) => t.app.inject({ url, headers });

// The seeded sessions, on topic 5 (its first two questions: text → "string", 42 → "integer"), each of a learner of its own:
// - 301 completes it in two answers;
// - 302 answers wrong, asks for a hint, and abandons;
// - 303 answers wrong, and is still active;
// - 304 completes topic 6 after a wrong answer ("if" is its first answer, "else" its second).
let completed: number;
let abandoned: number;
let active: number;
let otherTopic: number;
beforeAll(async () => {
  completed = (await start(301)).id;
  await say(completed, 'string');
  await say(completed, 'an integer');

  abandoned = (await start(302)).id;
  await say(abandoned, 'a number');
  await say(abandoned, 'Can I have a hint?');
  await post(`/api/sessions/${abandoned}/abandon`);

  active = (await start(303)).id;
  await say(active, 'a boolean');

  otherTopic = (await start(304, 6)).id;
  await say(otherTopic, 'while');
  await say(otherTopic, 'else');
  await say(otherTopic, 'true');
});

// Every oversight route, with who may call it: teachers (in their courses) or admins only. Erasing a learner the
// service never knew changes nothing; resolving a flag that does not exist is 404 for anyone allowed to try.
interface AdminRoute {
  method: 'GET' | 'POST' | 'DELETE';
  /** As the OpenAPI document names it. */
  path: string;
  url: () => string;
  teachers: boolean;
  /** What an allowed caller gets. */
  allowed: number;
}
const adminRoutes: AdminRoute[] = [
  { method: 'GET', path: '/api/admin/sessions', url: () => '/api/admin/sessions', teachers: true, allowed: 200 },
  { method: 'GET', path: '/api/admin/sessions/{id}', url: () => `/api/admin/sessions/${completed}`, teachers: true, allowed: 200 },
  { method: 'GET', path: '/api/admin/learners/{user_id}', url: () => '/api/admin/learners/301', teachers: true, allowed: 200 },
  { method: 'GET', path: '/api/admin/analytics/topics', url: () => '/api/admin/analytics/topics', teachers: true, allowed: 200 },
  { method: 'GET', path: '/api/admin/flags', url: () => '/api/admin/flags', teachers: true, allowed: 200 },
  { method: 'POST', path: '/api/admin/flags/{id}/resolve', url: () => '/api/admin/flags/999999/resolve', teachers: true, allowed: 404 },
  { method: 'GET', path: '/api/admin/usage', url: () => '/api/admin/usage?group_by=learner', teachers: false, allowed: 200 },
  { method: 'GET', path: '/api/admin/export', url: () => '/api/admin/export', teachers: false, allowed: 200 },
  { method: 'DELETE', path: '/api/admin/learners/{user_id}', url: () => '/api/admin/learners/424242', teachers: false, allowed: 200 },
];
const call = (route: AdminRoute, headers: Record<string, string>) => t.app.inject({ method: route.method, url: route.url(), headers });

describe('who may use the oversight routes', () => {
  it('has every oversight route of the OpenAPI document in this matrix', async () => {
    const doc = (await t.app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith('/api/admin/'))
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual(adminRoutes.map((route) => `${route.method} ${route.path}`).sort());
  });

  it('refuses learners and the service key with 403, and callers without credentials with 401', async () => {
    const learner = await bearer({ sub: '301' });
    const teacherAsLearnerClaim = await bearer({ sub: '9', role: 'learner', course_ids: [2] });
    for (const route of adminRoutes) {
      expectProblem(await call(route, learner), 403, 'forbidden');
      expectProblem(await call(route, teacherAsLearnerClaim), 403, 'forbidden');
      expectProblem(await call(route, asService), 403, 'forbidden');
      expectProblem(await call(route, {}), 401, 'unauthorized');
      expectProblem(await call(route, { 'x-api-key': 'not-a-key' }), 401, 'unauthorized');
    }
  });

  it('lets ADMIN_API_KEY and admin tokens use every route', async () => {
    const adminToken = await bearer({ sub: '1', role: 'admin' });
    for (const route of adminRoutes) {
      expect((await call(route, asAdmin)).statusCode, route.url()).toBe(route.allowed);
      expect((await call(route, adminToken)).statusCode, route.url()).toBe(route.allowed);
    }
  });

  it('lets a teacher use the teachers’ routes for their courses only, and refuses the admins’ routes', async () => {
    const teacher = await bearer({ sub: '50', role: 'teacher', course_ids: [2] });
    const otherTeacher = await bearer({ sub: '51', role: 'teacher', course_ids: [99] });
    for (const route of adminRoutes) {
      if (route.teachers) expect((await call(route, teacher)).statusCode, route.url()).toBe(route.allowed);
      else expectProblem(await call(route, teacher), 403, 'forbidden');
    }

    // Outside their courses, nothing exists.
    expect((await get('/api/admin/sessions', otherTeacher)).json()).toEqual({ items: [], next_before: null });
    expectProblem(await get(`/api/admin/sessions/${completed}`, otherTeacher), 404, 'session_not_found');
    expectProblem(await get('/api/admin/learners/301', otherTeacher), 404, 'learner_not_found');
    expectProblem(await get('/api/admin/analytics/topics?course_id=2', otherTeacher), 404, 'course_not_found');
    expect((await get('/api/admin/analytics/topics', otherTeacher)).json()).toEqual({ items: [] });
    expect((await get('/api/admin/flags', otherTeacher)).json()).toEqual({ items: [], next_before: null });
  });

  it('refuses a token whose role or courses claim is not one it knows, rather than guessing', async () => {
    for (const claims of [{ role: 'Admin' }, { role: ['admin'] }, { role: 'teacher', course_ids: '2' }, { role: 'teacher', course_ids: ['0x2'] }]) {
      expectProblem(await get('/api/admin/sessions', await bearer({ sub: '7', ...claims })), 401, 'unauthorized');
    }
  });

  it('says whom the credentials identify, with the role', async () => {
    expect((await get('/api/me', await bearer({ sub: '50', role: 'teacher', course_ids: [2, '3'] }))).json()).toEqual({
      kind: 'user',
      user_id: 50,
      role: 'teacher',
      course_ids: [2, 3],
    });
    expect((await get('/api/me', asAdmin)).json()).toEqual({ kind: 'admin', user_id: null, role: 'admin', course_ids: [] });
  });
});

describe('GET /api/admin/sessions', () => {
  it('lists sessions newest first with their turns, filtered, a page at a time', async () => {
    const all = (await get('/api/admin/sessions?course_id=2')).json();
    expect(all.items.map((session: { id: number }) => session.id)).toEqual([otherTopic, active, abandoned, completed]);
    expect(all.items[3]).toMatchObject({
      user_id: 301,
      topic_title: 'Variables and Data Types',
      course_title: 'Introduction to Programming',
      status: 'completed',
      turns: 2,
      // The offline tutor calls no model.
      usage: { prompt_tokens: 0, total_tokens: 0, cost_usd: 0, model_calls: 0 },
    });

    const first = (await get('/api/admin/sessions?limit=2')).json();
    expect(first.items.map((session: { id: number }) => session.id)).toEqual([otherTopic, active]);
    const second = (await get(`/api/admin/sessions?limit=2&before=${first.next_before}`)).json();
    expect(second.items.map((session: { id: number }) => session.id)).toEqual([abandoned, completed]);

    const only = async (query: string) => (await get(`/api/admin/sessions?${query}`)).json().items.map((session: { id: number }) => session.id);
    expect(await only('status=abandoned')).toEqual([abandoned]);
    expect(await only('topic_id=6')).toEqual([otherTopic]);
    expect(await only('user_id=303')).toEqual([active]);
    expect(await only('from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00%2B02:00')).toEqual([]);
    expect(await only(`from=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}`)).toHaveLength(4);
  });

  it('answers 422 for a filter it cannot take, and 403 to a caller who may not ask at all', async () => {
    const queries = [
      'from=yesterday',
      'from=2026-01-01',
      'from=0000-01-01T00:00:00Z',
      'to=10000-01-01T00:00:00Z',
      'from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z',
      'status=done',
      'limit=0',
      'limit=101',
      'limit=1e2',
      'limit=0x10',
      'before=0x5',
      'flavour=1',
    ];
    for (const query of queries) expectProblem(await get(`/api/admin/sessions?${query}`), 422, 'validation_failed');
    expectProblem(await get('/api/admin/usage?group_by=learner&from=0000-01-01T00:00:00Z'), 422, 'validation_failed');
    expectProblem(await get('/api/admin/export?from=0000-01-01T00:00:00Z'), 422, 'validation_failed');
    // Who may not use the route is refused before its input is looked at.
    expectProblem(await get('/api/admin/sessions?limit=0x10', asService), 403, 'forbidden');
    expectProblem(await get('/api/admin/usage?group_by=nobody', await bearer({ sub: '50', role: 'teacher', course_ids: [2] })), 403, 'forbidden');
  });
});

describe('GET /api/admin/sessions/{id}', () => {
  it('gives the transcript with each question, its expected answer, the learner’s answer and the grade', async () => {
    const transcript = (await get(`/api/admin/sessions/${abandoned}`)).json();
    expect(transcript).toMatchObject({ id: abandoned, status: 'abandoned', turns: 2 });
    expect(transcript.messages.map((message: { role: string; kind: string | null }) => [message.role, message.kind])).toEqual([
      ['assistant', null],
      ['user', 'answer'],
      ['assistant', null],
      ['user', 'hint'],
      ['assistant', null],
    ]);
    expect(transcript.questions[0]).toMatchObject({
      expected_answer: 'string',
      status: 'graded',
      learner_answer: 'a number',
      correct: false,
      answer_message_id: transcript.messages[1].id,
      question_message_id: transcript.messages[0].id,
    });
    expectProblem(await get('/api/admin/sessions/999999'), 404, 'session_not_found');
  });
});

describe('GET /api/admin/learners/{user_id}', () => {
  it('gives a learner’s completed topics, struggles, sessions and usage', async () => {
    const learner = (await get('/api/admin/learners/301')).json();
    expect(learner).toMatchObject({
      user_id: 301,
      topics_completed: [{ topic_id: 5, course_id: 2, topic_title: 'Variables and Data Types', session_id: completed }],
      struggles: [],
      usage: { total_tokens: 0, model_calls: 0 },
    });
    expect(learner.sessions).toHaveLength(1);
    expectProblem(await get('/api/admin/learners/424242'), 404, 'learner_not_found');
  });
});

describe('GET /api/admin/analytics/topics', () => {
  it('gives each topic’s figures, as the seeded sessions make them', async () => {
    const { items } = (await get('/api/admin/analytics/topics?course_id=2')).json();
    const [variables, conditionals] = items;
    expect(variables).toMatchObject({
      topic_id: 5,
      topic_title: 'Variables and Data Types',
      sessions_started: 3,
      sessions_completed: 1,
      sessions_abandoned: 1,
      median_turns_to_completion: 2,
      hint_requests: 1,
      most_missed_questions: [{ question: 'Which data type would you use to store a piece of text such as "hello"?', wrong_answers: 2, graded_answers: 3 }],
    });
    expect(variables.completion_rate).toBeCloseTo(1 / 3);
    expect(variables.abandonment_rate).toBeCloseTo(1 / 3);
    expect(variables.median_minutes_to_completion).toBeGreaterThanOrEqual(0);
    expect(conditionals).toMatchObject({ topic_id: 6, sessions_started: 1, sessions_completed: 1, median_turns_to_completion: 3, hint_requests: 0 });
    expect(conditionals.most_missed_questions).toEqual([expect.objectContaining({ wrong_answers: 1, graded_answers: 1 })]);
  });
});
