import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import { expectProblem } from '../support/requests.js';

const secret = 'a-test-secret-of-at-least-32-characters!';
const serviceKey = 'the-service-key';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ SERVICE_API_KEY: serviceKey, AUTH_JWT_SECRET: secret });
});
afterAll(() => t?.close());

const asService = { 'x-api-key': serviceKey };
const get = (url: string, headers: Record<string, string> = asService) => t.app.inject({ url, headers });

describe('the catalog of the local curriculum', () => {
  it('lists the courses with their topic counts', async () => {
    const response = await get('/api/courses');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      courses: [
        {
          id: 2,
          title: 'Introduction to Programming',
          description: 'First steps in programming, using Python for the examples.',
          topic_count: 3,
        },
        {
          id: 3,
          title: 'Introdução à Programação',
          description: 'Primeiros passos em programação, com exemplos em Python.',
          topic_count: 2,
        },
      ],
    });
  });

  it('gives a course its topics in order, with their question counts and never an answer or a hint', async () => {
    const response = await get('/api/courses/2');
    expect(response.statusCode).toBe(200);
    const course = response.json();
    expect(course).toMatchObject({ id: 2, title: 'Introduction to Programming', topic_count: 3 });
    expect(course.topics.map((topic: { id: number }) => topic.id)).toEqual([5, 6, 7]);
    expect(course.topics[0]).toEqual({
      id: 5,
      course_id: 2,
      course_title: 'Introduction to Programming',
      title: 'Variables and Data Types',
      description: 'How programs store values in named variables, and the basic kinds of values they hold.',
      learning_objectives: 'Understand variables, data types, and assignments',
      // Without a list in the catalog, the objectives are the learning objectives' parts.
      objectives: [{ id: '1', text: 'Understand variables, data types, and assignments' }],
      requires: [],
      language: 'en',
      question_count: 4,
    });
    const topic = t.deps.curriculum.findTopic(5);
    const bank = (await topic)!.questions;
    const text = response.body;
    for (const question of bank) {
      expect(text).not.toContain(question.hint);
      expect(text).not.toContain(question.question);
    }
  });

  it('gives a topic by id, alike', async () => {
    const response = await get('/api/topics/6');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id: 6, course_id: 2, title: 'Conditional Statements', requires: [5] });
    expect(Object.keys(response.json()).sort()).toEqual(
      ['course_id', 'course_title', 'description', 'id', 'language', 'learning_objectives', 'objectives', 'question_count', 'requires', 'title'].sort(),
    );
    expect((await get('/api/topics/8')).json()).toMatchObject({
      course_id: 3,
      language: 'pt-BR',
      objectives: [
        { id: 'tipos', text: 'Reconhecer o tipo de um valor' },
        { id: 'atribuicao', text: 'Prever o valor de uma variável depois de uma atribuição' },
      ],
    });
  });

  it('answers 404 for a course or topic that does not exist, and 422 for an id that is not one', async () => {
    expectProblem(await get('/api/courses/99'), 404, 'course_not_found');
    expectProblem(await get('/api/topics/99'), 404, 'topic_not_found');
    for (const url of ['/api/courses/abc', '/api/courses/0', '/api/topics/1.5', '/api/topics/99999999999']) {
      expectProblem(await get(url), 422, 'validation_failed');
    }
  });
});

describe('who may read the catalog', () => {
  it('any authenticated caller: a learner’s token or the service key; nobody without credentials', async () => {
    const token = await new SignJWT({ sub: '41' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(secret));
    for (const url of ['/api/courses', '/api/courses/2', '/api/topics/5']) {
      expect((await get(url, { authorization: `Bearer ${token}` })).statusCode).toBe(200);
      expectProblem(await get(url, {}), 401, 'unauthorized');
      expectProblem(await get(url, { 'x-api-key': 'wrong' }), 401, 'unauthorized');
    }
  });
});
