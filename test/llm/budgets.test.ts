import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatSessions, modelCalls } from '../../src/db/schema.js';
import { createBudgets } from '../../src/usage/budgets.js';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import { startGeminiDouble, type GeminiDouble } from '../support/gemini-double.js';
import { expectProblem, say, sendMessage, startSession } from '../support/requests.js';
import { scriptedTutor } from '../support/scripted-gemini.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

// Daily token budgets: a turn past its learner's or the deployment's budget is refused before any model call.
// The scripted tutor's calls: a reply is 180 prompt and 15 output tokens (195), a grade 40 and 12 (52).

let gemini: GeminiDouble;
let t: TestApp;
beforeAll(async () => {
  gemini = await startGeminiDouble(scriptedTutor);
  t = await buildTestApp({ GEMINI_API_KEY: 'k', GEMINI_BASE_URL: gemini.url, LLM_MAX_RETRIES: '0', LEARNER_DAILY_TOKEN_BUDGET: '500' });
});
afterAll(async () => {
  await t?.close();
  await gemini?.close();
});

const secondsToUtcMidnight = () => {
  const now = new Date();
  return (Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) - now.getTime()) / 1000;
};

describe('LEARNER_DAILY_TOKEN_BUDGET', () => {
  it('refuses a learner past it with 429 budget_exceeded until UTC midnight, before any model call', async () => {
    const session = await startSession(t.app, { user_id: 41 }); // 195 tokens
    await say(t.app, session.id, 'It is a string'); // 442: under 500, so the next turn may run
    await say(t.app, session.id, 'It is a float'); // 689 (a wrong answer: the session goes on)
    const calls = gemini.requests.length;

    const refused = await sendMessage(t.app, session.id, 'boolean');
    expectProblem(refused, 429, 'budget_exceeded');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(Math.ceil(secondsToUtcMidnight()) + 1);
    expectProblem(await t.app.inject({ method: 'POST', url: '/api/sessions/start', payload: { user_id: 41, topic_id: 5, course_id: 2 } }), 429, 'budget_exceeded');
    expect(gemini.requests.length).toBe(calls);

    // The refused message changed nothing, and another learner has a budget of their own.
    const details = (await t.app.inject({ url: `/api/sessions/${session.id}` })).json();
    expect(details.messages).toHaveLength(5);
    await startSession(t.app, { user_id: 42 });
  });
});

describe('the budgets, on a clock of their own', () => {
  let testDatabase: TestDatabase;
  let sessionId: number;
  beforeAll(async () => {
    testDatabase = await createTestDatabase();
    const [session] = await testDatabase.database.db.insert(chatSessions).values({ userId: 1, courseId: 2, topicId: 5 }).returning();
    sessionId = session!.id;
  });
  afterAll(() => testDatabase?.drop());

  const spend = (userId: number, tokens: number, at: Date) =>
    testDatabase.database.db
      .insert(modelCalls)
      .values({ sessionId, userId, courseId: 2, kind: 'tutor', model: 'm', promptTokens: tokens, outputTokens: 0, cachedTokens: 0, createdAt: at });

  it('counts the deployment’s day from UTC midnight, reads its total at most every 5 s, and resets the next day', async () => {
    let now = new Date('2026-12-05T23:59:00Z');
    const budgets = createBudgets(testDatabase.database.db, { dailyTokens: 1000 }, () => now);
    await spend(1, 5000, new Date('2026-12-04T12:00:00Z')); // yesterday: not counted
    await spend(1, 600, new Date('2026-12-05T10:00:00Z'));
    await budgets.check(2);
    expect(await budgets.today()).toEqual({ day: '2026-12-05', used: 600, budget: 1000 });

    await spend(2, 400, new Date('2026-12-05T23:59:00Z'));
    await budgets.check(3); // the total read 0 s ago is still used: 600
    now = new Date('2026-12-05T23:59:06Z');
    const refused = await budgets.check(3).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'budget_exceeded', options: { retryAfterSeconds: 54 } });

    now = new Date('2026-12-06T00:00:01Z');
    await budgets.check(3);
    expect(await budgets.today()).toEqual({ day: '2026-12-06', used: 0, budget: 1000 });
  });
});
