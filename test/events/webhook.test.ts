import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import { startGeminiDouble, type GeminiDouble } from '../support/gemini-double.js';
import { say, startSession } from '../support/requests.js';
import { scriptedTutor } from '../support/scripted-gemini.js';
import { startWebhookReceiver } from '../support/webhook-receiver.js';

// Events to the platform's webhook: queued with what causes them, signed per Standard Webhooks, delivered at least
// once through faults, with a secret rotation.

const secret = () => `whsec_${randomBytes(24).toString('base64')}`;
const apps: TestApp[] = [];
afterAll(async () => {
  for (const app of apps) await app.close();
});

async function appWith(env: Record<string, string>): Promise<TestApp> {
  // No backoff between attempts: each round of the dispatcher retries what failed before.
  const t = await buildTestApp({ OUTBOX_MAX_BACKOFF_SECONDS: '0', ...env });
  apps.push(t);
  return t;
}

/** Runs the webhook dispatcher's rounds until nothing is left to deliver (at most `rounds`). */
async function deliverAll(t: TestApp, rounds = 10): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    const { failed } = await t.deps.webhook!.dispatcher.runOnce();
    const { pending } = await import('../../src/db/outbox.js').then(({ webhookQueue }) => webhookQueue.backlog(t.testDatabase.database.db));
    if (failed === 0 && pending === 0) return;
  }
}

describe('topic completions without the .NET backend', () => {
  it('are delivered to the webhook, signed, once, through a server error and a reset connection', async () => {
    const key = secret();
    const receiver = await startWebhookReceiver([key]);
    try {
      const t = await appWith({ EVENTS_WEBHOOK_URL: receiver.url, EVENTS_WEBHOOK_SECRET: key });
      const session = await startSession(t.app, { user_id: 61 });
      await say(t.app, session.id, 'string');
      expect(receiver.deliveries()).toBe(0); // queued with the turn, delivered by the dispatcher
      const completed = await say(t.app, session.id, 'an integer');
      expect(completed.topic_completed).toBe(true);

      receiver.fail('error', 'reset');
      await deliverAll(t);
      expect(receiver.deliveries()).toBe(3);
      expect(receiver.refused).toEqual([]);
      expect(receiver.accepted).toEqual([
        {
          id: expect.stringMatching(/^msg_\d+$/),
          type: 'topic.completed',
          timestamp: expect.any(String),
          data: { user_id: 61, course_id: 2, topic_id: 5, session_id: session.id, completed_at: expect.any(String) },
        },
      ]);
      // A later round sends nothing again.
      await t.deps.webhook!.dispatcher.runOnce();
      expect(receiver.deliveries()).toBe(3);
    } finally {
      await receiver.close();
    }
  });

  it('are signed with both secrets during a rotation, so that a receiver holding either verifies them', async () => {
    const [next, previous] = [secret(), secret()];
    const oldReceiver = await startWebhookReceiver([previous]);
    const newReceiver = await startWebhookReceiver([next]);
    const stranger = await startWebhookReceiver([secret()]);
    try {
      for (const receiver of [oldReceiver, newReceiver, stranger]) {
        const t = await appWith({ EVENTS_WEBHOOK_URL: receiver.url, EVENTS_WEBHOOK_SECRET: `${next},${previous}` });
        const session = await startSession(t.app, { user_id: 62 });
        await say(t.app, session.id, 'string');
        await say(t.app, session.id, 'an integer');
        await t.deps.webhook!.dispatcher.runOnce();
      }
      expect(oldReceiver.accepted).toHaveLength(1);
      expect(newReceiver.accepted).toHaveLength(1);
      expect(stranger.accepted).toHaveLength(0);
      expect(stranger.refused).toEqual(['no signature matches']);
    } finally {
      await Promise.all([oldReceiver.close(), newReceiver.close(), stranger.close()]);
    }
  });
});

describe('the budget alert', () => {
  let gemini: GeminiDouble;
  beforeAll(async () => {
    gemini = await startGeminiDouble(scriptedTutor);
  });
  afterAll(() => gemini?.close());

  it('is sent once when the deployment has used 80 % of its daily budget', async () => {
    const key = secret();
    const receiver = await startWebhookReceiver([key]);
    try {
      // 1000 tokens a day; a session's opening costs 195, a graded answer 247 more.
      const t = await appWith({
        GEMINI_API_KEY: 'k',
        GEMINI_BASE_URL: gemini.url,
        LLM_MAX_RETRIES: '0',
        DAILY_TOKEN_BUDGET: '1000',
        EVENTS_WEBHOOK_URL: receiver.url,
        EVENTS_WEBHOOK_SECRET: key,
      });
      const session = await startSession(t.app, { user_id: 63 }); // 195
      await say(t.app, session.id, 'It is a string'); // 442
      await t.deps.webhook!.dispatcher.runOnce();
      expect(receiver.accepted).toEqual([]);

      const other = await startSession(t.app, { user_id: 64 }); // 637
      await say(t.app, other.id, 'It is a float'); // 884: past 800
      await expect.poll(async () => {
        await t.deps.webhook!.dispatcher.runOnce();
        return receiver.accepted.map((event) => event.type);
      }).toEqual(['budget.alert']);
      expect(receiver.accepted[0]!.data).toMatchObject({ budget_tokens: 1000, share: 0.8, day: new Date().toISOString().slice(0, 10) });
      expect(receiver.accepted[0]!.data.used_tokens).toBeGreaterThanOrEqual(800);

      // The next turn spends the rest (1131), the one after is refused, and no second alert is sent.
      await say(t.app, other.id, 'It is an integer');
      expect((await t.app.inject({ method: 'POST', url: `/api/sessions/${other.id}/message`, payload: { message: 'boolean' } })).statusCode).toBe(429);
      await t.deps.webhook!.dispatcher.runOnce();
      expect(receiver.accepted).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });
});

describe('the webhook configuration', () => {
  it('requires a secret in the whsec_ form with the URL', () => {
    expect(() => parseConfig({ EVENTS_WEBHOOK_URL: 'https://platform.example.com/hooks' })).toThrow(/EVENTS_WEBHOOK_SECRET: is required with EVENTS_WEBHOOK_URL/);
    expect(() => parseConfig({ EVENTS_WEBHOOK_URL: 'https://platform.example.com/hooks', EVENTS_WEBHOOK_SECRET: 'plain-text-secret' })).toThrow(
      /EVENTS_WEBHOOK_SECRET: must be a secret in the whsec_<base64> form/,
    );
    expect(parseConfig({ EVENTS_WEBHOOK_URL: 'https://platform.example.com/hooks', EVENTS_WEBHOOK_SECRET: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }).webhook).toEqual({
      url: 'https://platform.example.com/hooks',
      secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
      timeoutMs: 10_000,
    });
  });
});
