import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { systemPrompt } from '../../src/db/messages.js';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import { startDotnetDouble, type DotnetDouble } from '../support/dotnet-double.js';
import { startGeminiDouble, type GeminiDouble } from '../support/gemini-double.js';
import { expectProblem, newUserId, startSession } from '../support/requests.js';
import { scriptedTutor } from '../support/scripted-gemini.js';

const topic5 = {
  id: 5,
  title: 'Variables and Data Types',
  description: 'How programs store values.',
  promptTemplate: null,
  courseId: 2,
  courseTitle: 'Introduction to Programming',
  learningObjectives: 'Understand variables, data types, and assignments',
};

let dotnet: DotnetDouble;
let gemini: GeminiDouble;
let t: TestApp;
// Topics from .NET carry no question bank: the tutor is a model (its double), as the configuration requires.
const tutorModel = () => ({ GEMINI_API_KEY: 'k', GEMINI_BASE_URL: gemini.url, LLM_MAX_RETRIES: '0' });

beforeAll(async () => {
  dotnet = await startDotnetDouble('/api/v1');
  gemini = await startGeminiDouble(scriptedTutor);
  t = await buildTestApp({
    ...tutorModel(),
    DOTNET_API_URL: dotnet.url,
    DOTNET_API_PREFIX: '/api/v1',
    SERVICE_API_KEY: 'service-key',
    DOTNET_API_RETRY_ATTEMPTS: '2',
    DOTNET_API_RETRY_BASE_DELAY: '0.1',
    DOTNET_API_TIMEOUT: '0.3',
    DOTNET_CIRCUIT_BREAKER_FAILURES: '100',
  }, { headers: { 'x-api-key': 'service-key' } });
});
afterAll(async () => {
  await t?.close();
  await gemini?.close();
  await dotnet?.close();
});
beforeEach(() => {
  dotnet.calls.length = 0;
  dotnet.pascalCase = false;
  dotnet.topics.clear();
  dotnet.topics.set(5, topic5);
  dotnet.topics.set(8, { ...topic5, id: 8, title: 'Templated', promptTemplate: 'T' });
  dotnet.faults = { topic: [], context: [], complete: [] };
});

const prompt = async (sessionId: number) => (await systemPrompt(t.testDatabase.database.db, sessionId))!;

describe('topics and learner context from .NET', () => {
  it('personalizes the prompt from .NET data, sending X-API-Key under the configured prefix', async () => {
    const userId = newUserId();
    dotnet.contexts.set(userId, { userLevel: 'intermediate', completedTopicIds: [3, 4], struggleTopics: ['Loops'] });
    const { id } = await startSession(t.app, { user_id: userId });
    const text = await prompt(id);
    expect(text).toContain('Topic: Variables and Data Types');
    expect(text).toContain('Level: intermediate');
    expect(text).toContain('Completed topics: topic #3, topic #4');
    expect(text).toContain('Previous struggles: Loops');
    expect(dotnet.calls.map((call) => `${call.method} ${call.path}`)).toEqual([
      'GET /TrainingTopics/5',
      `GET /UserProgress/${userId}/context`,
    ]);
    expect(dotnet.calls.every((call) => call.apiKey === 'service-key')).toBe(true);
    expect((await t.app.inject({ url: `/api/sessions/${id}` })).json().context).toMatchObject({
      user_level: 'intermediate',
      struggles: ['Loops'],
    });
  });

  it('teaches in the language the user context carries, unless the request names one; a tag that is not BCP 47 is ignored', async () => {
    const spanish = newUserId();
    dotnet.contexts.set(spanish, { userLevel: 'beginner', completedTopicIds: [], struggleTopics: [], language: 'es-mx' });
    const { id } = await startSession(t.app, { user_id: spanish });
    expect((await t.app.inject({ url: `/api/sessions/${id}` })).json().language).toBe('es-MX');
    expect(await prompt(id)).toContain('Teach in Mexican Spanish (es-MX)');
    const asked = await t.app.inject({ method: 'POST', url: '/api/sessions/start', payload: { user_id: spanish, topic_id: 5, course_id: 2, language: 'pt-BR' } });
    expect(asked.json().language).toBe('pt-BR');
    const odd = newUserId();
    dotnet.contexts.set(odd, { userLevel: 'beginner', completedTopicIds: [], struggleTopics: [], language: 'not a tag' });
    expect((await startSession(t.app, { user_id: odd })).language).toBe('en');
  });

  it('reads PascalCase responses as well as camelCase', async () => {
    dotnet.pascalCase = true;
    const userId = newUserId();
    dotnet.contexts.set(userId, { userLevel: 'advanced', completedTopicIds: [], struggleTopics: [] });
    const { id } = await startSession(t.app, { user_id: userId });
    expect(await prompt(id)).toContain('Level: advanced');
  });

  it('renders the topic’s promptTemplate with all eight variables', async () => {
    const template =
      '{course_title}|{topic_title}|{topic_description}|{learning_objectives}|{user_level}|{completed_topics}|{struggles}|{completion_marker}';
    dotnet.topics.set(8, { ...topic5, id: 8, title: 'Templated', promptTemplate: template });
    const { id } = await startSession(t.app, { topic_id: 8 });
    expect(await prompt(id)).toBe(
      'Introduction to Programming|Templated|How programs store values.|Understand variables, data types, and assignments|' +
        'beginner|Completed topics: none yet|Previous struggles: none recorded|{TOPIC_COMPLETED}',
    );
  });

  it('retries 5xx with the configured backoff, then succeeds', async () => {
    dotnet.faults.topic.push({ status: 503 }, { status: 500 });
    await startSession(t.app);
    const topicCalls = dotnet.calls.filter((call) => call.path === '/TrainingTopics/5');
    expect(topicCalls).toHaveLength(3);
    // Delays of 0.1 s then 0.2 s, each ±20% jitter: at least that long, and the second about twice the first.
    // The upper bounds leave room for a busy machine; they only rule out a wrong base or exponent.
    const gaps = topicCalls.slice(1).map((call, index) => call.at - topicCalls[index]!.at);
    expect(gaps[0]).toBeGreaterThanOrEqual(75);
    expect(gaps[0]).toBeLessThan(400);
    expect(gaps[1]).toBeGreaterThanOrEqual(155);
    expect(gaps[1]).toBeLessThan(800);
  });

  it('honours Retry-After on a 429', async () => {
    dotnet.faults.topic.push({ status: 429, retryAfter: '0.5' });
    await startSession(t.app);
    const topicCalls = dotnet.calls.filter((call) => call.path === '/TrainingTopics/5');
    expect(topicCalls).toHaveLength(2);
    // Retry-After: 0.5 s instead of the configured 0.1 s backoff (at most 120 ms with jitter).
    expect(topicCalls[1]!.at - topicCalls[0]!.at).toBeGreaterThanOrEqual(450);
  });

  it('answers 404 for a topic .NET does not know, without retrying', async () => {
    expectProblem(
      await t.app.inject({ method: 'POST', url: '/api/sessions/start', payload: { user_id: 1, topic_id: 404, course_id: 2 } }),
      404,
      'topic_not_found',
    );
    expect(dotnet.calls).toHaveLength(1);
  });

  it('answers 503 after the retries when .NET keeps failing or times out, and saves nothing', async () => {
    dotnet.faults.topic.push({ status: 502 }, { delayMs: 600 }, { reset: true });
    const response = await t.app.inject({ method: 'POST', url: '/api/sessions/start', payload: { user_id: 1, topic_id: 5, course_id: 2 } });
    const body = expectProblem(response, 503, 'dependency_unavailable');
    expect(body.detail).toContain('training backend is unavailable');
    expect(response.headers['retry-after']).toBeDefined();
    expect(dotnet.calls.filter((call) => call.path === '/TrainingTopics/5')).toHaveLength(3);
  });

  it('treats a body that breaks the contract as a contract error: not retried, logged with the field', async () => {
    dotnet.faults.topic.push({ body: JSON.stringify({ id: 5, title: 'No course' }) });
    expectProblem(
      await t.app.inject({ method: 'POST', url: '/api/sessions/start', payload: { user_id: 1, topic_id: 5, course_id: 2 } }),
      503,
      'dependency_unavailable',
    );
    expect(dotnet.calls).toHaveLength(1);
    expect(t.logs).toContainEqual(expect.objectContaining({ what: 'topic', fields: ['courseid', 'coursetitle'] }));
  });

  it('starts with default context, and a warning, when the user context is unavailable', async () => {
    dotnet.faults.context.push({ status: 500 }, { status: 500 }, { status: 500 });
    const userId = newUserId();
    const { id } = await startSession(t.app, { user_id: userId });
    expect(await prompt(id)).toContain('Level: beginner');
    expect(t.logs).toContainEqual(
      expect.objectContaining({ level: 40, userId, msg: expect.stringContaining('Failed to fetch user context from .NET API') }),
    );
  });
});

describe('the catalog with the .NET curriculum', () => {
  it('reads a topic through the .NET client, and answers 501 for listings the .NET contract lacks', async () => {
    const topic = await t.app.inject({ url: '/api/topics/5' });
    expect(topic.statusCode).toBe(200);
    expect(topic.json()).toEqual({
      id: 5,
      course_id: 2,
      course_title: 'Introduction to Programming',
      title: 'Variables and Data Types',
      description: 'How programs store values.',
      learning_objectives: 'Understand variables, data types, and assignments',
      objectives: [{ id: '1', text: 'Understand variables, data types, and assignments' }],
      requires: [],
      language: null,
      question_count: 0,
    });
    expect(dotnet.calls.map((call) => `${call.method} ${call.path}`)).toEqual(['GET /TrainingTopics/5']);
    expectProblem(await t.app.inject({ url: '/api/topics/404' }), 404, 'topic_not_found');
    expectProblem(await t.app.inject({ url: '/api/courses' }), 501, 'not_supported_by_curriculum');
    expectProblem(await t.app.inject({ url: '/api/courses/2' }), 501, 'not_supported_by_curriculum');
  });

  it('answers 503 for a topic while .NET fails', async () => {
    dotnet.faults.topic.push({ status: 503 }, { status: 503 }, { status: 503 });
    expectProblem(await t.app.inject({ url: '/api/topics/5' }), 503, 'dependency_unavailable');
  });
});

describe('.NET unreachable', () => {
  it('answers 503, and health and readiness say so from real outcomes while the circuit is still closed', async () => {
    await dotnet.down();
    try {
      expectProblem(
        await t.app.inject({ method: 'POST', url: '/api/sessions/start', payload: { user_id: 1, topic_id: 5, course_id: 2 } }),
        503,
        'dependency_unavailable',
      );
      const health = await t.app.inject({ url: '/api/health' });
      expect(health.statusCode).toBe(200);
      expect(health.json()).toMatchObject({ status: 'degraded', dotnet: { reachable: false, circuit: 'closed' } });
      // Reported, but the instance stays ready: every instance shares .NET, and sessions in progress go on without it.
      const ready = await t.app.inject({ url: '/api/ready' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json().checks.dotnet).toEqual({ ok: false, detail: expect.stringContaining('unreachable') });
    } finally {
      await dotnet.up();
    }
    await startSession(t.app);
    expect((await t.app.inject({ url: '/api/health' })).json()).toMatchObject({ status: 'healthy', dotnet: { reachable: true } });
  });

  it('is probed when no call was made lately', async () => {
    const quiet = await buildTestApp({ ...tutorModel(), DOTNET_API_URL: dotnet.url, DOTNET_API_PREFIX: '/api/v1' });
    try {
      expect((await quiet.app.inject({ url: '/api/ready' })).json().checks.dotnet).toEqual({ ok: true });
      expect(dotnet.calls.map((call) => call.path)).toContain('/');
    } finally {
      await quiet.close();
    }
  });
});

describe('the circuit breaker', () => {
  let fragile: TestApp;
  beforeAll(async () => {
    fragile = await buildTestApp({
      ...tutorModel(),
      DOTNET_API_URL: dotnet.url,
      DOTNET_API_PREFIX: '/api/v1',
      DOTNET_API_RETRY_ATTEMPTS: '0',
      DOTNET_CIRCUIT_BREAKER_FAILURES: '2',
      DOTNET_CIRCUIT_BREAKER_RESET: '0.3',
    });
  });
  afterAll(() => fragile?.close());

  const start = () => fragile.app.inject({ method: 'POST', url: '/api/sessions/start', payload: { user_id: 1, topic_id: 5, course_id: 2 } });

  it('opens after consecutive failures, answers fast without calling .NET, and closes after a good call', async () => {
    dotnet.faults.topic.push({ status: 500 }, { status: 500 });
    expectProblem(await start(), 503, 'dependency_unavailable');
    expectProblem(await start(), 503, 'dependency_unavailable');
    const callsWhenOpened = dotnet.calls.length;

    expectProblem(await start(), 503, 'dependency_unavailable');
    expect(dotnet.calls.length).toBe(callsWhenOpened);
    const health = await fragile.app.inject({ url: '/api/health' });
    expect(health.statusCode).toBe(200);
    // It answered (500s): it is reachable, though the circuit is open.
    expect(health.json().dotnet).toEqual({ reachable: true, circuit: 'open' });

    await new Promise((resolve) => setTimeout(resolve, 350));
    expect((await start()).statusCode).toBe(201);
    expect((await fragile.app.inject({ url: '/api/health' })).json().dotnet).toEqual({ reachable: true, circuit: 'closed' });
  });
});
