import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import { startGeminiDouble, type GeminiDouble } from '../support/gemini-double.js';
import { say, startSession } from '../support/requests.js';
import { scriptedTutor } from '../support/scripted-gemini.js';

// Every model call is recorded with its tokens and its cost from the price table; a model without a price costs null.
// The scripted tutor's calls: a reply is 180 prompt (100 of them cached) and 15 output tokens, a grade 40 and 12.

let gemini: GeminiDouble;
const apps: TestApp[] = [];
beforeAll(async () => {
  gemini = await startGeminiDouble(scriptedTutor);
});
afterAll(async () => {
  for (const app of apps) await app.close();
  await gemini?.close();
});

async function appWith(env: Record<string, string> = {}): Promise<TestApp> {
  const t = await buildTestApp({ GEMINI_API_KEY: 'k', GEMINI_BASE_URL: gemini.url, LLM_MAX_RETRIES: '0', ...env });
  apps.push(t);
  return t;
}

/** An opening and a graded answer: three calls (tutor, then grader and tutor). */
async function sessionWithOneGradedAnswer(t: TestApp): Promise<number> {
  const session = await startSession(t.app, { user_id: 77 });
  await say(t.app, session.id, 'It is a string');
  return session.id;
}

const usage = async (t: TestApp, group: string) => (await t.app.inject({ url: `/api/admin/usage?group_by=${group}` })).json();

describe('model calls and their cost', () => {
  it('records each call of a turn, priced from the published table (gemini-2.5-flash)', async () => {
    const t = await appWith();
    const sessionId = await sessionWithOneGradedAnswer(t);
    // (400 − 200 cached) × $0.30 + 200 × $0.03 + 42 × $2.50, per million tokens.
    const cost = (200 * 0.3 + 200 * 0.03 + 42 * 2.5) / 1_000_000;
    const byModel = await usage(t, 'model');
    expect(byModel.items).toEqual([
      { model: 'gemini-2.5-flash', prompt_tokens: 400, output_tokens: 42, cached_tokens: 200, total_tokens: 442, cost_usd: expect.closeTo(cost, 12), model_calls: 3 },
    ]);
    expect((await usage(t, 'learner')).items).toEqual([expect.objectContaining({ user_id: 77, model_calls: 3, cost_usd: expect.closeTo(cost, 12) })]);
    expect((await usage(t, 'course')).items).toEqual([expect.objectContaining({ course_id: 2, model_calls: 3 })]);

    const session = (await t.app.inject({ url: `/api/admin/sessions/${sessionId}` })).json();
    expect(session.usage).toMatchObject({ prompt_tokens: 400, output_tokens: 42, model_calls: 3 });

    const metrics = (await t.app.inject({ url: '/metrics' })).body;
    const counted = /^llm_cost_usd_total\{[^}]*model="gemini-2\.5-flash"[^}]*\} (\S+)$/m.exec(metrics);
    expect(Number(counted?.[1])).toBeCloseTo(cost, 12);
  });

  it('counts the range asked for', async () => {
    const t = await appWith();
    await sessionWithOneGradedAnswer(t);
    const past = (await t.app.inject({ url: '/api/admin/usage?group_by=model&to=2000-01-01T00:00:00Z' })).json();
    expect(past.items).toEqual([]);
    const since = encodeURIComponent(new Date(Date.now() - 60_000).toISOString());
    expect((await t.app.inject({ url: `/api/admin/usage?group_by=model&from=${since}` })).json().items[0].model_calls).toBe(3);
  });

  it('gives a model without a price a null cost, never a guess', async () => {
    const t = await appWith({ GEMINI_MODEL: 'my-tuned-model' });
    const sessionId = await sessionWithOneGradedAnswer(t);
    expect((await usage(t, 'model')).items).toEqual([expect.objectContaining({ model: 'my-tuned-model', cost_usd: null, model_calls: 3 })]);
    expect((await t.app.inject({ url: `/api/admin/sessions/${sessionId}` })).json().usage.cost_usd).toBeNull();
  });

  it('prices from MODEL_PRICES_FILE when it is given', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'prices-'));
    const file = path.join(dir, 'prices.yaml');
    writeFileSync(file, 'my-tuned-model:\n  input: 1\n  cachedInput: 0.5\n  output: 4\n  source: our contract\n  published: 2026-11-01\n');
    const t = await appWith({ GEMINI_MODEL: 'my-tuned-model', MODEL_PRICES_FILE: file });
    await sessionWithOneGradedAnswer(t);
    const cost = (200 * 1 + 200 * 0.5 + 42 * 4) / 1_000_000;
    expect((await usage(t, 'model')).items[0].cost_usd).toBeCloseTo(cost, 12);

    writeFileSync(file, 'my-tuned-model:\n  input: 1\n  cachedInput: 0.5\n  output: -4\n  source: our contract\n  published: 2026-11-01\n');
    await expect(appWith({ MODEL_PRICES_FILE: file })).rejects.toThrow(/^MODEL_PRICES_FILE .*prices\.yaml: my-tuned-model\.output: /);
  });
});
