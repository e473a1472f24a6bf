import { eq, sql } from 'drizzle-orm';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatSessions } from '../../src/db/schema.js';
import { buildTestApp, fixtureCurriculumDir, type TestApp } from '../support/build-test-app.js';
import { contentsOf, textOf } from '../support/scripted-gemini.js';
import { startGeminiDouble, type GeminiDouble } from '../support/gemini-double.js';
import { expectProblem, newUserId, say, sendMessage, startSession } from '../support/requests.js';

const secret = 'a-test-secret-of-at-least-32-characters!';
const adminKey = 'the-admin-key-of-this-test';
const serviceKey = 'the-service-key';
const sign = (claims: Record<string, unknown>) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(secret));

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ SERVICE_API_KEY: serviceKey, ADMIN_API_KEY: adminKey, AUTH_JWT_SECRET: secret }, { headers: { 'x-api-key': serviceKey } });
});
afterAll(() => t?.close());

const sessionDetails = async (id: number) => (await t.app.inject({ url: `/api/sessions/${id}` })).json();
const objectivesOf = (progress: { objectives: { id: string; mastery: number; attempts: number }[] }) =>
  Object.fromEntries(progress.objectives.map((objective) => [objective.id, [Number(objective.mastery.toFixed(6)), objective.attempts]]));

describe('a session in Portuguese on the offline tutor', () => {
  it('runs from start to completion in pt-BR, the course’s language, asking about the weakest objective each time', async () => {
    const user = newUserId();
    const started = await startSession(t.app, { user_id: user, topic_id: 8, course_id: 3 });
    expect(started).toMatchObject({ language: 'pt-BR' });
    expect(started.initial_message).toMatch(/^Olá! Eu sou seu tutor de "Variáveis e tipos de dados" em Introdução à Programação\. Vamos passo a passo, em nível iniciante\./);
    // Both objectives at the prior: the first in order, "tipos", is asked about first.
    expect(started.initial_message).toContain('Vamos verificar o que você entendeu. Qual é o tipo do valor 42 em Python?');

    const first = await say(t.app, started.id, 'É um int');
    expect(first.ai_message).toContain('Correto! Sim, "int" está certo.');
    // "tipos" is now at 0.709756, "atribuicao" still at the prior: its question comes next.
    expect(first.ai_message).toContain('Próxima pergunta: Depois de `x = 5` e `x = x + 2`, qual é o valor de x?');
    expect(objectivesOf(first.progress as never)).toEqual({ tipos: [0.709756, 1], atribuicao: [0.3, 0] });

    // Wrong: "atribuicao" falls to 0.193220, still the weakest: its other question comes next.
    const wrong = await say(t.app, started.id, '8');
    expect(wrong.ai_message).toContain('Não exatamente. A resposta que eu esperava era "7". O lado direito é calculado primeiro');
    expect(wrong.ai_message).toContain('Próxima pergunta: Depois de `a = 3`, `b = a` e `a = 10`, qual é o valor de b?');
    const final = await say(t.app, started.id, 'três');
    expect(final.topic_completed).toBe(true);
    expect(final.ai_message).toContain('São 2 acertos nas suas últimas 3 respostas: você concluiu "Variáveis e tipos de dados". Muito bem!');

    const details = await sessionDetails(started.id);
    expect(details.language).toBe('pt-BR');
    expect(details.context.learning_objectives).toBe('Reconhecer o tipo de um valor; prever o valor de uma variável depois de uma atribuição');
    expect(details.progress).toMatchObject({ passed: true, mastery_threshold: null });
    expect(details.progress.objectives.map((objective: { id: string; text: string }) => [objective.id, objective.text])).toEqual([
      ['tipos', 'Reconhecer o tipo de um valor'],
      ['atribuicao', 'Prever o valor de uma variável depois de uma atribuição'],
    ]);
  });

  it('takes the language from the request first, then the course, and says so when it cannot speak it', async () => {
    const spanish = await t.app.inject({ method: 'POST', url: '/api/sessions/start', payload: { user_id: newUserId(), topic_id: 5, course_id: 2, language: 'es' } });
    expect(spanish.json()).toMatchObject({ language: 'es' });
    expect(spanish.json().initial_message).toMatch(/^¡Hola! Soy tu tutor de "Variables and Data Types"/);
    expect((await startSession(t.app, { topic_id: 5, course_id: 2 })).initial_message).toMatch(/^Hi! I'm your tutor/);

    const german = await t.app.inject({ method: 'POST', url: '/api/sessions/start', payload: { user_id: newUserId(), topic_id: 5, course_id: 2, language: 'de-de' } });
    expect(german.json().language).toBe('de-DE');
    expect(german.json().initial_message).toMatch(/^I cannot teach in German \(Germany\) yet, so we will go on in English\.\n\nHi! I'm your tutor/);
    expect((await sessionDetails(german.json().id)).language).toBe('de-DE');

    const invalid = await t.app.inject({ method: 'POST', url: '/api/sessions/start', payload: { user_id: newUserId(), topic_id: 5, course_id: 2, language: 'not a language' } });
    expectProblem(invalid, 422, 'validation_failed');
  });

  it('falls back to DEFAULT_LANGUAGE for a course that names none', async () => {
    const app = await buildTestApp({ CURRICULUM_DIR: fixtureCurriculumDir, DEFAULT_LANGUAGE: 'pt-br' });
    try {
      const started = await startSession(app.app, { topic_id: 901, course_id: 90 });
      expect(started).toMatchObject({ language: 'pt-BR' });
      expect(started.initial_message).toMatch(/^Olá!/);
    } finally {
      await app.close();
    }
  });
});

describe('the mastery gate (MASTERY_THRESHOLD)', () => {
  it('keeps asking until every objective reaches it, even once the rule is met', async () => {
    const gated = await buildTestApp({ MASTERY_THRESHOLD: '0.9' });
    try {
      const { id } = await startSession(gated.app, { topic_id: 8, course_id: 3 });
      const answers = ['int', '7'];
      for (const answer of answers) expect((await say(gated.app, id, answer)).topic_completed).toBe(false);
      // 2 of the last 2: the rule is met, but each objective is at 0.709756, below 0.9.
      const details = (await gated.app.inject({ url: `/api/sessions/${id}` })).json();
      expect(details.progress).toMatchObject({ recent_correct: 2, passed: false, mastery_threshold: 0.9 });
      // "tipos" first (the first among equals), to 0.929191; then "atribuicao", and the topic is complete.
      const third = await say(gated.app, id, 'str');
      expect(third.topic_completed).toBe(false);
      expect(third.ai_message).toContain('Depois de `a = 3`, `b = a` e `a = 10`, qual é o valor de b?');
      const fourth = await say(gated.app, id, '3');
      expect(fourth.topic_completed).toBe(true);
      expect(objectivesOf(fourth.progress as never)).toEqual({ tipos: [0.929191, 2], atribuicao: [0.929191, 2] });
    } finally {
      await gated.close();
    }
  });
});

describe('GET /api/learners/{user_id}/mastery and /next', () => {
  const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ url, headers });

  it('give the mastery of every objective of the course, at the prior where nothing was answered', async () => {
    const user = newUserId();
    const { id } = await startSession(t.app, { user_id: user, topic_id: 8, course_id: 3 });
    await say(t.app, id, 'int');
    const response = await get(`/api/learners/${user}/mastery?course_id=3`);
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({ user_id: user, course_id: 3, mastery_threshold: null });
    expect(body.topics.map((topic: { topic_id: number; completed: boolean }) => [topic.topic_id, topic.completed])).toEqual([
      [8, false],
      [9, false],
    ]);
    expect(body.topics[0].objectives[0]).toMatchObject({ id: 'tipos', attempts: 1, correct_answers: 1 });
    expect(body.topics[0].objectives[0].mastery).toBeCloseTo(0.709756, 6);
    expect(body.topics[1].objectives.map((objective: { mastery: number; updated_at: unknown }) => [objective.mastery, objective.updated_at])).toEqual([
      [0.3, null],
      [0.3, null],
    ]);
    expectProblem(await get(`/api/learners/${user}/mastery?course_id=99`), 404, 'course_not_found');
    expectProblem(await get(`/api/learners/${user}/mastery`), 422, 'validation_failed');
  });

  it('may be read by the learner, a teacher of the course and an admin; nobody else', async () => {
    const user = newUserId();
    const url = `/api/learners/${user}/next?course_id=3`;
    const bearer = async (claims: Record<string, unknown>) => ({ authorization: `Bearer ${await sign(claims)}` });
    expect((await get(url, await bearer({ sub: String(user) }))).statusCode).toBe(200);
    expect((await get(url, await bearer({ sub: '77', role: 'teacher', course_ids: [3] }))).statusCode).toBe(200);
    expect((await get(url, await bearer({ sub: '78', role: 'admin' }))).statusCode).toBe(200);
    expect((await get(url, { 'x-api-key': adminKey })).statusCode).toBe(200);
    expectProblem(await get(url, await bearer({ sub: String(user + 1) })), 403, 'forbidden');
    expectProblem(await get(url, await bearer({ sub: '77', role: 'teacher', course_ids: [2] })), 403, 'forbidden');
    expectProblem(await get(`/api/learners/${user}/mastery?course_id=3`, await bearer({ sub: String(user + 1) })), 403, 'forbidden');
  });

  it('next: prerequisites first, then struggles, then reviews due, then new topics in order', async () => {
    const next = async (user: number) => (await get(`/api/learners/${user}/next?course_id=3`)).json();

    const newcomer = newUserId();
    expect(await next(newcomer)).toMatchObject({ topic: { id: 8 }, reason: 'new', for_topic: null });

    // Topic 9 started before 8, which it requires: 8 first.
    const hasty = newUserId();
    await startSession(t.app, { user_id: hasty, topic_id: 9, course_id: 3 });
    expect(await next(hasty)).toMatchObject({ topic: { id: 8 }, reason: 'prerequisite', for_topic: { id: 9 } });

    // Topic 8 completed, then two wrong answers in 9: 9 is a struggle.
    const struggling = newUserId();
    const first = await startSession(t.app, { user_id: struggling, topic_id: 8, course_id: 3 });
    for (const answer of ['int', '7']) await say(t.app, first.id, answer);
    expect(await next(struggling)).toMatchObject({ topic: { id: 9 }, reason: 'new' });
    const second = await startSession(t.app, { user_id: struggling, topic_id: 9, course_id: 3 });
    for (const answer of ['while', 'for']) await say(t.app, second.id, answer);
    expect(await next(struggling)).toMatchObject({ topic: { id: 9 }, reason: 'struggle', wrong_answers: 2 });

    // Topic 8 completed two days ago: its first review fell due a day after.
    const reviewer = newUserId();
    const done = await startSession(t.app, { user_id: reviewer, topic_id: 8, course_id: 3 });
    for (const answer of ['int', '7']) await say(t.app, done.id, answer);
    await t.testDatabase.database.db
      .update(chatSessions)
      .set({ startedAt: sql`now() - interval '2 days'`, completedAt: sql`now() - interval '2 days'` })
      .where(eq(chatSessions.id, done.id));
    await t.testDatabase.database.db.execute(sql`update topic_completions set completed_at = now() - interval '2 days' where session_id = ${done.id}`);
    const due = await next(reviewer);
    expect(due).toMatchObject({ topic: { id: 8 }, reason: 'review', review: { number: 1 } });
    expect(Date.parse(due.review.due_at)).toBeLessThan(Date.now());
    // Its sessions purged (RETENTION_DAYS): the completion stays the learner's progress, and the review is still due.
    await t.testDatabase.database.db.delete(chatSessions).where(eq(chatSessions.id, done.id));
    expect(await next(reviewer)).toMatchObject({ topic: { id: 8 }, reason: 'review', review: { number: 1 } });
    expect((await get(`/api/learners/${reviewer}/mastery?course_id=3`)).json().topics[0].completed).toBe(true);
  });
});

describe('a model tutor', () => {
  let gemini: GeminiDouble;
  let m: TestApp;
  beforeAll(async () => {
    gemini = await startGeminiDouble(() => ({ text: 'Olá!', functionCalls: [{ name: 'ask_question', args: { question: 'Qual é o tipo de 42?', expected_answer: 'int', objective: 'tipos' } }] }));
    m = await buildTestApp({ GEMINI_API_KEY: 'test-key', GEMINI_BASE_URL: gemini.url });
  });
  afterAll(async () => {
    await m?.close();
    await gemini?.close();
  });

  it('is told the session’s language and the objectives, and must name the objective each question checks', async () => {
    const started = await startSession(m.app, { topic_id: 8, course_id: 3 });
    const [opening] = gemini.requests;
    expect(opening!.systemText).toContain('## Language\nTeach in Brazilian Portuguese (pt-BR): write every reply');
    expect(opening!.systemText).toContain('- tipos: Reconhecer o tipo de um valor\n- atribuicao: Prever o valor');
    expect(textOf(contentsOf(opening!).at(-1))).toContain('Write your reply in Brazilian Portuguese (pt-BR).');
    const declaration = opening!.body.tools[0].functionDeclarations[0];
    expect(declaration.parameters.required).toContain('objective');
    expect(declaration.parameters.properties.objective.enum).toEqual(['tipos', 'atribuicao']);

    // The question is recorded with its objective: a right answer updates that objective's mastery.
    gemini.behave((request) => (request.grading ? { text: JSON.stringify({ correct: true, feedback: 'Isso.' }) } : { text: 'Muito bem.' }));
    const turn = await sendMessage(m.app, started.id, 'É int');
    expect(turn.statusCode).toBe(200);
    expect(objectivesOf(turn.json().progress)).toEqual({ tipos: [0.709756, 1], atribuicao: [0.3, 0] });
  });
});
