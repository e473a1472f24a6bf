import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import { startDotnetDouble, type DotnetDouble } from '../support/dotnet-double.js';
import { startGeminiDouble, type GeminiDouble } from '../support/gemini-double.js';
import { say, sendMessage, startSession } from '../support/requests.js';
import { scriptedTutor } from '../support/scripted-gemini.js';

let dotnet: DotnetDouble;
let gemini: GeminiDouble;
let t: TestApp;

beforeAll(async () => {
  dotnet = await startDotnetDouble();
  dotnet.topics.set(5, { id: 5, title: 'Variables', description: 'D', courseId: 2, courseTitle: 'Programming', learningObjectives: 'O' });
  gemini = await startGeminiDouble(scriptedTutor);
  t = await buildTestApp({
    DOTNET_API_URL: dotnet.url,
    GEMINI_API_KEY: 'k',
    GEMINI_BASE_URL: gemini.url,
    GEMINI_MODEL: 'gemini-test',
    LLM_MAX_RETRIES: '0',
    METRICS_TOKEN: 'scrape-me',
  });
});
afterAll(async () => {
  await t?.close();
  await gemini?.close();
  await dotnet?.close();
});

/** The value of one series in the scraped text, or undefined when absent. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('/metrics', () => {
  it('needs METRICS_TOKEN when it is set', async () => {
    expect((await t.app.inject({ url: '/metrics' })).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(401);
  });

  it('counts what a real session does: requests, LLM calls and tokens, .NET calls, turns, completions, the outbox', async () => {
    const { id } = await startSession(t.app);
    await say(t.app, id, 'string');
    await say(t.app, id, 'integer');
    gemini.behave(() => ({ status: 500 }));
    const failed = await t.app.inject({ method: 'POST', url: '/api/sessions/start', payload: { user_id: 2, topic_id: 5, course_id: 2 } });
    expect(failed.statusCode).toBe(503);
    gemini.behave(scriptedTutor);
    expect((await sendMessage(t.app, id, 'more')).statusCode).toBe(409);

    const scrape = await t.app.inject({ url: '/metrics', headers: { authorization: 'Bearer scrape-me' } });
    expect(scrape.statusCode).toBe(200);
    expect(scrape.headers['content-type']).toMatch(/^text\/plain/);
    const text = scrape.body;
    expect(value(text, 'http_request_duration_seconds_count{method="POST",route="/api/sessions/:id/message",status_code="200"}')).toBe(2);
    expect(value(text, 'http_request_duration_seconds_count{method="POST",route="/api/sessions/:id/message",status_code="409"}')).toBe(1);
    // One model call a reply (the opening, two replies, the failed start) and one a grade.
    expect(value(text, 'llm_call_duration_seconds_count{provider="gemini",model="gemini-test",call="text"}')).toBe(4);
    expect(value(text, 'llm_call_duration_seconds_count{provider="gemini",model="gemini-test",call="object"}')).toBe(2);
    expect(value(text, 'llm_tokens_total{provider="gemini",model="gemini-test",type="prompt"}')).toBeGreaterThan(0);
    expect(value(text, 'llm_tokens_total{provider="gemini",model="gemini-test",type="cached"}')).toBeGreaterThan(0);
    expect(value(text, 'llm_errors_total{provider="gemini",call="text",kind="500"}')).toBe(1);
    expect(value(text, 'dotnet_call_duration_seconds_count{endpoint="topic",outcome="ok"}')).toBe(2);
    expect(value(text, 'dotnet_circuit_state')).toBe(0);
    expect(value(text, 'tutoring_turns_total')).toBe(2);
    expect(value(text, 'tutoring_completions_total')).toBe(1);
    expect(value(text, 'tutoring_active_sessions')).toBe(0);
    expect(value(text, 'outbox_notices{status="pending"}')).toBe(1);
    expect(value(text, 'outbox_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(text).toContain('process_resident_memory_bytes');
  });
});
