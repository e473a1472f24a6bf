import http from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import { startGeminiDouble, type GeminiDouble } from '../support/gemini-double.js';
import { expectProblem, say, startSession } from '../support/requests.js';
import { scriptedTutor } from '../support/scripted-gemini.js';
import { rowCounts } from '../support/snapshot.js';

let gemini: GeminiDouble;
let t: TestApp;

beforeAll(async () => {
  gemini = await startGeminiDouble(scriptedTutor);
  t = await buildTestApp({ GEMINI_API_KEY: 'k', GEMINI_BASE_URL: gemini.url, LLM_MAX_RETRIES: '0' });
});
afterAll(async () => {
  await t?.close();
  await gemini?.close();
});
beforeEach(() => {
  gemini.behave(scriptedTutor);
});

interface ServerSentEvent {
  event: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data: any;
}

function parseEvents(text: string): ServerSentEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim())
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? 'null';
      return { event, data: JSON.parse(data) };
    });
}

const streamMessage = (sessionId: number, message: string) =>
  t.app.inject({
    method: 'POST',
    url: `/api/sessions/${sessionId}/message`,
    headers: { accept: 'text/event-stream' },
    payload: { message },
  });

const conversation = async (id: number) =>
  (await t.app.inject({ url: `/api/sessions/${id}` })).json().messages.map((m: { role: string; content: string }) => [m.role, m.content]);

describe('POST /api/sessions/{id}/message with Accept: text/event-stream', () => {
  it('streams text deltas, then one event with the JSON response, and saves the same turn as the JSON call', async () => {
    const plain = await startSession(t.app);
    const streamed = await startSession(t.app);
    const json = await say(t.app, plain.id, 'string');

    const response = await streamMessage(streamed.id, 'string');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const events = parseEvents(response.body);
    const deltas = events.filter((e) => e.event === 'delta');
    expect(deltas.length).toBeGreaterThan(1);
    const done = events.at(-1)!;
    expect(done.event).toBe('done');
    expect(deltas.map((e) => e.data.text).join('')).toBe(done.data.ai_message);

    // Equal but for what differs between two sessions: ids and the time.
    const comparable = ({ topic_completed, ai_message, progress }: typeof json) => ({ topic_completed, ai_message, progress });
    expect(Object.keys(done.data).sort()).toEqual(Object.keys(json).sort());
    expect(comparable(done.data)).toEqual(comparable(json));
    expect(await conversation(streamed.id)).toEqual(await conversation(plain.id));
  });

  it('removes a completion marker split across streamed chunks', async () => {
    const { id } = await startSession(t.app);
    gemini.behave((request, index) => (request.grading ? scriptedTutor(request, index) : { text: 'Good {TOPIC_COMPLETED} work' }));
    const events = parseEvents((await streamMessage(id, 'string')).body);
    const text = events.filter((e) => e.event === 'delta').map((e) => e.data.text).join('');
    expect(text).toBe('Good  work');
    expect(events.at(-1)!.data.topic_completed).toBe(false);
  });

  it('ends with an error event carrying a problem when the tutor fails mid-turn, and saves nothing', async () => {
    const { id } = await startSession(t.app);
    gemini.behave(() => ({ status: 503, message: 'overloaded' }));
    const before = await rowCounts(t.testDatabase.database.db);
    const events = parseEvents((await streamMessage(id, 'string')).body);
    expect(events).toEqual([
      {
        event: 'error',
        data: expect.objectContaining({ status: 503, code: 'dependency_unavailable', type: 'urn:problem:ai-training:dependency_unavailable' }),
      },
    ]);
    expect(await rowCounts(t.testDatabase.database.db)).toEqual(before);
  });

  it('answers errors found before the turn starts with a plain problem response', async () => {
    expectProblem(await streamMessage(99999, 'string'), 404, 'session_not_found');
  });
});

describe('a client that disconnects mid-stream', () => {
  it('does not cancel the turn: it is completed and saved', async () => {
    const { id } = await startSession(t.app);
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    gemini.behave((request, index) =>
      request.grading ? scriptedTutor(request, index) : { text: 'A long and thoughtful reply, streamed slowly.', chunkDelayMs: 150 },
    );
    // A real socket, destroyed by the client as soon as the first delta arrives.
    const first = await new Promise<string>((resolve, reject) => {
      const request = http.request(
        `${address}/api/sessions/${id}/message`,
        { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' } },
        (response) => {
          response.once('data', (chunk: Buffer) => {
            request.destroy();
            resolve(chunk.toString());
          });
        },
      );
      request.on('error', (error) => (request.destroyed ? undefined : reject(error)));
      request.end(JSON.stringify({ message: 'string' }));
    });
    expect(first).toContain('event: delta');

    let saved: string[][] = [];
    for (let attempt = 0; attempt < 50 && saved.length < 3; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      saved = await conversation(id);
    }
    expect(saved.at(-1)).toEqual(['assistant', 'A long and thoughtful reply, streamed slowly.']);
  });
});
