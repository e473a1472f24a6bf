import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import { startGeminiDouble, type GeminiDouble } from '../support/gemini-double.js';
import { expectProblem, say, startSession } from '../support/requests.js';
import { scriptedTutor } from '../support/scripted-gemini.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';

// Every learner message passes the moderation step before any model sees it: personal data redacted from what the
// models receive, risks flagged, and a message that says the learner may harm themself answered without a model.

const secret = 'a-test-secret-of-at-least-32-characters!';
const webhookSecret = `whsec_${randomBytes(24).toString('base64')}`;
let gemini: GeminiDouble;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let t: TestApp;

// An OpenAI-compatible moderation endpoint: it flags "violence" when the text says "fight club", and records inputs.
const moderationInputs: string[] = [];
let moderationDown = false;
let moderation: Server;

beforeAll(async () => {
  gemini = await startGeminiDouble(scriptedTutor);
  receiver = await startWebhookReceiver([webhookSecret]);
  moderation = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      if (moderationDown || request.url !== '/v1/moderations') {
        response.writeHead(503).end();
        return;
      }
      const { input } = JSON.parse(body) as { input: string };
      moderationInputs.push(input);
      const violent = input.includes('fight club');
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          id: 'modr-1',
          model: 'omni-moderation-latest',
          results: [{ flagged: violent, categories: { violence: violent, harassment: false }, category_scores: { violence: violent ? 0.93 : 0.01, harassment: 0.01 } }],
        }),
      );
    });
  });
  await new Promise<void>((resolve) => moderation.listen(0, '127.0.0.1', resolve));
  t = await buildTestApp({
    GEMINI_API_KEY: 'k',
    GEMINI_BASE_URL: gemini.url,
    LLM_MAX_RETRIES: '0',
    MODERATION_BASE_URL: `http://127.0.0.1:${(moderation.address() as AddressInfo).port}/v1`,
    EVENTS_WEBHOOK_URL: receiver.url,
    EVENTS_WEBHOOK_SECRET: webhookSecret,
  });
});
afterAll(async () => {
  await t?.close();
  await gemini?.close();
  await receiver?.close();
  moderation?.close();
});

const flags = async (query = '') => (await t.app.inject({ url: `/api/admin/flags${query}` })).json();

describe('personal data', () => {
  it('never reaches a model, the grader and the moderation endpoint included; the transcript keeps what the learner wrote', async () => {
    const session = await startSession(t.app, { user_id: 71 });
    const first = gemini.requests.length;
    const answer = 'It is a string. Mail me at ana.silva@example.com or call +55 11 98765-4321';
    await say(t.app, session.id, answer);
    await say(t.app, session.id, 'What about 98765-4321 and ana.silva@example.com again?');
    const sent = gemini.requests.slice(first).map((request) => JSON.stringify(request.body));
    expect(sent.length).toBeGreaterThanOrEqual(3); // grader, tutor, then a tutor call whose history holds the answer
    for (const body of [...sent, ...moderationInputs]) {
      expect(body).not.toContain('ana.silva@example.com');
      expect(body).not.toContain('98765-4321');
    }
    expect(sent.some((body) => body.includes('[email]') && body.includes('[phone]'))).toBe(true);

    const details = (await t.app.inject({ url: `/api/sessions/${session.id}` })).json();
    expect(details.messages[1].content).toBe(answer);
  });
});

describe('a message that says the learner may harm themself', () => {
  it('gets the fixed supportive reply with no model call, a flag, and a signed event; the question stays pending', async () => {
    const session = await startSession(t.app, { user_id: 72 });
    const calls = gemini.requests.length;
    const turn = await say(t.app, session.id, 'I want to kill myself');
    expect(gemini.requests.length).toBe(calls);
    expect(turn.ai_message).toContain("I'm really sorry you're feeling this way");
    expect(turn.progress).toMatchObject({ graded_answers: 0, questions_asked: 1 });

    const open = await flags('?status=open&user_id=72');
    expect(open.items).toEqual([
      expect.objectContaining({ session_id: session.id, message_id: turn.user_message_id, category: 'self_harm', severity: 'high', source: 'rules', status: 'open' }),
    ]);
    await t.deps.webhook!.dispatcher.runOnce();
    const event = receiver.accepted.find((candidate) => candidate.type === 'safety.flagged' && candidate.data.session_id === session.id);
    expect(event?.data).toMatchObject({ flag_id: open.items[0].id, user_id: 72, category: 'self_harm', severity: 'high' });
    expect(JSON.stringify(event)).not.toContain('kill myself');

    // The learner can go on with the lesson: the next answer is graded against the same question.
    const next = await say(t.app, session.id, 'It is a string');
    expect(next.progress).toMatchObject({ graded_answers: 1, correct_answers: 1 });
    const metrics = (await t.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/^safety_flags_total\{category="self_harm",severity="high",source="rules"\} [1-9]/m);
  });
});

describe('other risks', () => {
  it('are flagged, by the rules or the moderation endpoint, and the turn goes on', async () => {
    const session = await startSession(t.app, { user_id: 73 });
    const calls = gemini.requests.length;
    const insult = await say(t.app, session.id, "you're so stupid");
    expect(gemini.requests.length).toBeGreaterThan(calls);
    expect(insult.ai_message).not.toContain('sorry you');
    await say(t.app, session.id, 'I watched fight club yesterday');
    const found = (await flags('?user_id=73')).items.map((flag: { category: string; severity: string; source: string }) => [flag.category, flag.severity, flag.source]);
    expect(found).toEqual([
      ['violence', 'high', 'moderation'],
      ['harassment', 'low', 'rules'],
    ]);
    const listed = (await t.app.inject({ url: '/api/admin/sessions?flagged=true&user_id=73' })).json();
    expect(listed.items).toEqual([expect.objectContaining({ id: session.id, open_flags: 2 })]);
    expect((await t.app.inject({ url: '/api/admin/sessions?flagged=false&user_id=73' })).json().items).toEqual([]);
    const transcript = (await t.app.inject({ url: `/api/admin/sessions/${session.id}` })).json();
    expect(transcript.flags).toHaveLength(2);
  });

  it('are assessed by the rules alone while the moderation endpoint is down, and the turn goes on', async () => {
    moderationDown = true;
    try {
      const session = await startSession(t.app, { user_id: 74 });
      await say(t.app, session.id, 'você é burro');
      expect((await flags('?user_id=74')).items).toEqual([expect.objectContaining({ category: 'harassment', source: 'rules' })]);
      expect(t.logs.some((line) => line.msg === 'the moderation endpoint failed: the rules alone assessed the message')).toBe(true);
    } finally {
      moderationDown = false;
    }
  });
});

describe('resolving flags', () => {
  const token = (claims: Record<string, unknown>) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(secret));

  it('closes a flag for whoever may see it, once, and says who did', async () => {
    const secured = await buildTestApp({ AUTH_JWT_SECRET: secret, ADMIN_API_KEY: 'the-admin-key-of-the-operators' });
    try {
      const learner = { authorization: `Bearer ${await token({ sub: '75' })}` };
      const started = (await secured.app.inject({ method: 'POST', url: '/api/sessions/start', headers: learner, payload: { user_id: 75, topic_id: 5, course_id: 2 } })).json();
      await secured.app.inject({ method: 'POST', url: `/api/sessions/${started.id}/message`, headers: learner, payload: { message: 'quero me matar' } });
      const admin = { 'x-api-key': 'the-admin-key-of-the-operators' };
      const [flag] = (await secured.app.inject({ url: '/api/admin/flags?status=open', headers: admin })).json().items;

      const resolve = (headers: Record<string, string>) => secured.app.inject({ method: 'POST', url: `/api/admin/flags/${flag.id}/resolve`, headers });
      expectProblem(await resolve(learner), 403, 'forbidden');
      expectProblem(await resolve({ authorization: `Bearer ${await token({ sub: '80', role: 'teacher', course_ids: [9] })}` }), 404, 'flag_not_found');
      const resolved = (await resolve({ authorization: `Bearer ${await token({ sub: '81', role: 'teacher', course_ids: [2] })}` })).json();
      expect(resolved).toMatchObject({ id: flag.id, status: 'resolved', resolved_by: 'user:81' });
      expect((await resolve(admin)).json()).toMatchObject({ status: 'resolved', resolved_by: 'user:81', resolved_at: resolved.resolved_at });
      expect((await secured.app.inject({ url: '/api/admin/flags?status=open', headers: admin })).json().items).toEqual([]);
      expectProblem(await secured.app.inject({ method: 'POST', url: '/api/admin/flags/999999/resolve', headers: admin }), 404, 'flag_not_found');
    } finally {
      await secured.close();
    }
  });
});
