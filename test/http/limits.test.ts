import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSecondInstance, buildTestApp, type TestApp } from '../support/build-test-app.js';
import { startGeminiDouble, type GeminiDouble } from '../support/gemini-double.js';
import { expectProblem, sendMessage, startSession } from '../support/requests.js';
import { scriptedTutor } from '../support/scripted-gemini.js';

const secret = 'a-test-secret-of-at-least-32-characters!';
const tokenFor = async (userId: number) =>
  `Bearer ${await new SignJWT({ sub: String(userId) }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(secret))}`;

describe('rate limits, in memory', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ RATE_LIMIT_PER_MINUTE: '3', RATE_LIMIT_PER_IP_PER_MINUTE: '5', AUTH_JWT_SECRET: secret, SERVICE_API_KEY: 'key' });
  });
  afterAll(() => t?.close());

  it('limits each learner, with 429 and Retry-After, without touching other learners or the service key', async () => {
    const alice = { authorization: await tokenFor(1) };
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await t.app.inject({ url: '/api/sessions/999', headers: alice })).statusCode);
    expect(statuses).toEqual([404, 404, 404, 429]);
    const limited = await t.app.inject({ url: '/api/sessions/999', headers: alice });
    const body = expectProblem(limited, 429, 'rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(body.detail).toContain('at most 3 a minute');

    expect((await t.app.inject({ url: '/api/sessions/999', headers: { authorization: await tokenFor(2) } })).statusCode).toBe(404);
    for (let i = 0; i < 10; i++) expect((await t.app.inject({ url: '/api/sessions/999', headers: { 'x-api-key': 'key' } })).statusCode).toBe(404);
    expect((await t.app.inject({ url: '/api/health' })).statusCode).toBe(200);
  });

  it('limits other callers per IP address', async () => {
    const fromIp = (ip: string) => t.app.inject({ url: '/api/sessions/999', remoteAddress: ip });
    for (let i = 0; i < 5; i++) expect((await fromIp('10.9.9.9')).statusCode).toBe(401);
    expectProblem(await fromIp('10.9.9.9'), 429, 'rate_limited');
    expect((await fromIp('10.9.9.8')).statusCode).toBe(401);
  });
});

describe('rate limits shared through Redis', () => {
  let t: TestApp;
  let second: Awaited<ReturnType<typeof buildSecondInstance>>;
  beforeAll(async () => {
    t = await buildTestApp({ RATE_LIMIT_PER_IP_PER_MINUTE: '4', REDIS_URL: 'redis://127.0.0.1:6379' });
    second = await buildSecondInstance(t);
  });
  afterAll(async () => {
    await second?.close();
    await t?.close();
  });

  it('count requests to every instance together', async () => {
    // An address of its own, so that no other run shares the count.
    const ip = `10.${randomBytes(3).join('.')}`;
    const statuses = [];
    for (const app of [t.app, second.app, t.app, second.app, t.app]) {
      statuses.push((await app.inject({ url: '/api/sessions/999', remoteAddress: ip })).statusCode);
    }
    expect(statuses).toEqual([404, 404, 404, 404, 429]);
  });
});

describe('LLM_MAX_CONCURRENCY', () => {
  let gemini: GeminiDouble;
  let t: TestApp;
  beforeAll(async () => {
    gemini = await startGeminiDouble(scriptedTutor);
    t = await buildTestApp({ GEMINI_API_KEY: 'k', GEMINI_BASE_URL: gemini.url, LLM_MAX_CONCURRENCY: '2' });
  });
  afterAll(async () => {
    await t?.close();
    await gemini?.close();
  });

  it('refuses turns beyond the cap with 503 and Retry-After instead of queueing them', async () => {
    const sessions = [];
    for (let i = 0; i < 3; i++) sessions.push((await startSession(t.app)).id);
    gemini.behave((request, index) => ({ ...scriptedTutor(request, index), delayMs: request.grading ? 0 : 400 }));
    const responses = await Promise.all(sessions.map((id) => sendMessage(t.app, id, 'string')));
    expect(responses.map((r) => r.statusCode).sort()).toEqual([200, 200, 503]);
    const refused = responses.find((r) => r.statusCode === 503)!;
    expectProblem(refused, 503, 'overloaded');
    expect(refused.headers['retry-after']).toBe('2');
    // The slots came back: the refused learner can send again.
    gemini.behave(scriptedTutor);
    expect((await sendMessage(t.app, sessions[responses.indexOf(refused)]!, 'string')).statusCode).toBe(200);
  });
});
