import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import { startDotnetDouble, type DotnetDouble } from '../support/dotnet-double.js';
import { startGeminiDouble, type GeminiDouble } from '../support/gemini-double.js';

let dotnet: DotnetDouble;
let gemini: GeminiDouble;
let t: TestApp;

beforeAll(async () => {
  dotnet = await startDotnetDouble();
  dotnet.topics.set(5, { id: 5, title: 'Variables', description: 'D', courseId: 2, courseTitle: 'Programming', learningObjectives: 'O' });
  // A tutor that fails, so that the service logs an error from deep inside the turn.
  gemini = await startGeminiDouble(() => ({ status: 400, message: 'bad request' }));
  t = await buildTestApp({ DOTNET_API_URL: dotnet.url, GEMINI_API_KEY: 'k', GEMINI_BASE_URL: gemini.url, LLM_MAX_RETRIES: '0' });
});
afterAll(async () => {
  await t?.close();
  await gemini?.close();
  await dotnet?.close();
});

const start = (headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url: '/api/sessions/start', headers, payload: { user_id: 1, topic_id: 5, course_id: 2 } });

describe('request ids', () => {
  it('follow a request from the caller into every log line and to .NET, and back in the response', async () => {
    const response = await start({ 'x-request-id': 'turn-abc.123' });
    expect(response.statusCode).toBe(503);
    expect(response.headers['x-request-id']).toBe('turn-abc.123');

    expect(dotnet.calls.map((call) => call.requestId)).toEqual(['turn-abc.123', 'turn-abc.123']);
    const lines = t.logs.filter((line) => line.requestId === 'turn-abc.123');
    expect(lines.map((line) => line.msg)).toEqual(expect.arrayContaining(['incoming request', 'LLM call failed', 'request completed']));
    for (const line of lines) expect(Object.keys(line).filter((key) => key === 'requestId')).toHaveLength(1);
    // The failed call is logged by its kind and status, without the request it carried or the provider's message,
    // either of which can quote the prompt or the learner's words.
    const failure = lines.find((line) => line.msg === 'LLM call failed')!;
    expect(failure).toMatchObject({ name: 'AI_APICallError', statusCode: 400 });
    expect(JSON.stringify(failure)).not.toContain('Variables');
    expect(JSON.stringify(failure)).not.toContain('bad request');
  });

  it('are generated when the caller sends none, or an unacceptable one', async () => {
    const generated = (await t.app.inject({ url: '/api/health' })).headers['x-request-id'];
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
    const replaced = (await t.app.inject({ url: '/api/health', headers: { 'x-request-id': 'spaces are not ok' } })).headers['x-request-id'];
    expect(replaced).toMatch(/^[0-9a-f-]{36}$/);
    expect((await t.app.inject({ url: '/api/health', headers: { 'x-request-id': 'x'.repeat(129) } })).headers['x-request-id']).not.toBe('x'.repeat(129));
  });
});
