import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatMessages } from '../../src/db/schema.js';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import { startGeminiDouble, type GeminiDouble } from '../support/gemini-double.js';
import { rawRequest } from '../support/raw-http.js';
import { expectProblem, say, sendMessage, startSession } from '../support/requests.js';
import { scriptedTutor } from '../support/scripted-gemini.js';
import { rowCounts } from '../support/snapshot.js';

// What the HTTP layer bounds and answers before any route runs, over a real socket.

let t: TestApp;
let port: number;
let gemini: GeminiDouble;

beforeAll(async () => {
  gemini = await startGeminiDouble(scriptedTutor);
  t = await buildTestApp({
    HTTP_REQUEST_TIMEOUT: '1',
    HTTP_HEADERS_TIMEOUT: '1',
    HTTP_KEEP_ALIVE_TIMEOUT: '1',
    MAX_SESSION_MESSAGES: '5',
  });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  port = (t.app.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await t?.close();
  await gemini?.close();
});

const problemOf = (response: { status: number; headers: Record<string, string>; body: string }) => {
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  return JSON.parse(response.body) as { status: number; code: string };
};

/** Opens a connection, writes `chunks` one after another, and resolves with what the server sent once it closed. */
function trickle(chunks: string[], gapMs: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    const queue = [...chunks];
    socket.write(queue.shift()!);
    const timer = setInterval(() => {
      if (queue.length > 0 && !socket.destroyed) socket.write(queue.shift()!);
    }, gapMs);
    socket.on('data', (data) => (received += data.toString()));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      resolve(received);
    });
  });
}

describe('requests the HTTP parser or the router refuses', () => {
  it('431 problem for headers larger than the server takes', async () => {
    const response = await rawRequest(port, { target: '/api/health', headers: { 'x-large': 'a'.repeat(20_000) } });
    expect(response.status).toBe(431);
    expect(problemOf(response)).toMatchObject({ status: 431, code: 'headers_too_large' });
  });

  it('414 problem for a path segment longer than any resource has', async () => {
    const response = await rawRequest(port, { target: `/api/sessions/${'9'.repeat(200)}` });
    expect(problemOf(response)).toMatchObject({ status: 414, code: 'uri_too_long' });
  });

  it('400 problem for a request that is not HTTP, and for a malformed escape in the URL', async () => {
    const garbage = await trickle(['NOT HTTP AT ALL\r\n\r\n'], 10);
    expect(garbage).toMatch(/^HTTP\/1\.1 400/);
    expect(garbage).toContain('application/problem+json');
    expect(garbage).toContain('"code":"bad_request"');
    const response = await rawRequest(port, { target: '/api/sessions/%E0%A4%A' });
    expect(problemOf(response)).toMatchObject({ status: 400, code: 'bad_request' });
  });

  it('408 problem for a request whose body trickles in slower than HTTP_REQUEST_TIMEOUT, and the connection is closed', async () => {
    const head = `POST /api/sessions/start HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 60\r\n\r\n`;
    const answer = await trickle([head, ...'{"user_id": 1, "topic_id": 5, "course_id": 2}'.split('')], 200);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(answer).toContain('"code":"request_timeout"');
  });

  it('closes an idle keep-alive connection after HTTP_KEEP_ALIVE_TIMEOUT', async () => {
    const answer = await trickle([`GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n`], 10);
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
  });
});

describe('bodies and messages', () => {
  it('400 invalid_json for a body that is not valid UTF-8, and nothing changes', async () => {
    const before = await rowCounts(t.testDatabase.database.db);
    const body = Buffer.concat([Buffer.from('{"user_id": 1, "topic_id": 5, "course_id": 2, "x": "'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const response = await rawRequest(port, { method: 'POST', target: '/api/sessions/start', body });
    expect(problemOf(response)).toMatchObject({ status: 400, code: 'invalid_json' });
    expect(await rowCounts(t.testDatabase.database.db)).toEqual(before);
  });

  it.each(['\u200b', '\u200b\u2060\ufeff', ' \u00ad\t\n', '\u180e\u2028', '\u2800\u3164', '\u0301\u0301'])('422 for a message of nothing but invisible characters (%j)', async (message) => {
    const { id } = await startSession(t.app);
    const before = await rowCounts(t.testDatabase.database.db);
    expectProblem(await sendMessage(t.app, id, message), 422, 'validation_failed');
    expect(await rowCounts(t.testDatabase.database.db)).toEqual(before);
  });
});

describe('text that is not text', () => {
  it.each([
    ['an unpaired surrogate', '{"message": "a\\ud800"}'],
    ['a lone low surrogate', '{"message": "\\udc00 b"}'],
    ['a C1 control character', '{"message": "a\\u0085b"}'],
  ])('422 for %s, and nothing is stored', async (_case, payload) => {
    const { id } = await startSession(t.app);
    const before = await rowCounts(t.testDatabase.database.db);
    const response = await t.app.inject({ method: 'POST', url: `/api/sessions/${id}/message`, headers: { 'content-type': 'application/json' }, payload });
    expectProblem(response, 422, 'validation_failed');
    expect(await rowCounts(t.testDatabase.database.db)).toEqual(before);
  });

  it('stores any well-formed text exactly, emoji and combining marks included', async () => {
    const { id } = await startSession(t.app);
    const message = 'e\u0301 😀 \u4f60\u597d';
    await say(t.app, id, message);
    const messages = (await t.app.inject({ url: `/api/sessions/${id}` })).json().messages;
    expect(messages[1].content).toBe(message);
  });
});

describe('a long session', () => {
  it('holds at most MAX_SESSION_MESSAGES: the message past it is 409 session_too_long and changes nothing', async () => {
    const { id } = await startSession(t.app);
    await say(t.app, id, 'What is a variable?');
    await say(t.app, id, 'What is a type?');
    const before = await rowCounts(t.testDatabase.database.db);
    const refused = expectProblem(await sendMessage(t.app, id, 'string'), 409, 'session_too_long');
    expect(refused.detail).toContain('start a new session');
    expect(await rowCounts(t.testDatabase.database.db)).toEqual(before);
  });

  it('GET returns it whole with its initial_message, or a page at a time with limit and before', async () => {
    const started = await startSession(t.app);
    await say(t.app, started.id, 'What is a variable?');
    await say(t.app, started.id, 'What is a type?');
    const whole = (await t.app.inject({ url: `/api/sessions/${started.id}` })).json();
    expect(whole.initial_message).toBe(started.initial_message);
    expect(whole.messages).toHaveLength(5);
    expect(whole.next_before).toBeNull();

    const newest = (await t.app.inject({ url: `/api/sessions/${started.id}?limit=2` })).json();
    expect(newest.messages).toEqual(whole.messages.slice(3));
    const older = (await t.app.inject({ url: `/api/sessions/${started.id}?limit=2&before=${newest.next_before}` })).json();
    expect(older.messages).toEqual(whole.messages.slice(1, 3));
    const oldest = (await t.app.inject({ url: `/api/sessions/${started.id}?limit=2&before=${older.next_before}` })).json();
    expect(oldest.messages).toEqual(whole.messages.slice(0, 1));
    expect(oldest.next_before).toBeNull();
    expect(oldest.initial_message).toBe(started.initial_message);
    expectProblem(await t.app.inject({ url: `/api/sessions/${started.id}?limit=0` }), 422, 'validation_failed');
    // A session made longer before the bound was set (here, by writing its rows directly) is never read whole.
    await t.testDatabase.database.db.insert(chatMessages).values([
      { sessionId: started.id, role: 'user', content: 'one more', position: 6 },
      { sessionId: started.id, role: 'assistant', content: 'and its reply', position: 7 },
    ]);
    const capped = (await t.app.inject({ url: `/api/sessions/${started.id}` })).json();
    expect(capped.messages.map((message: { content: string }) => message.content)).toEqual([
      ...whole.messages.slice(2).map((message: { content: string }) => message.content),
      'one more',
      'and its reply',
    ]);
    expect(capped.next_before).toBe(whole.messages[2].id);
    expectProblem(await t.app.inject({ url: `/api/sessions/${started.id}?limit=6` }), 422, 'validation_failed');
  });
});

describe('a streamed reply', () => {
  it('is not cut by HTTP_REQUEST_TIMEOUT: the timeout bounds receiving the request, not answering it', async () => {
    const streaming = await buildTestApp({ GEMINI_API_KEY: 'k', GEMINI_BASE_URL: gemini.url, LLM_MAX_RETRIES: '0', HTTP_REQUEST_TIMEOUT: '1', HTTP_HEADERS_TIMEOUT: '1' });
    try {
      await streaming.app.listen({ host: '127.0.0.1', port: 0 });
      const own = (streaming.app.server.address() as AddressInfo).port;
      const { id } = await startSession(streaming.app);
      gemini.behave((request, index) => ({ ...scriptedTutor(request, index), delayMs: request.grading ? 0 : 1500 }));
      const response = await rawRequest(own, {
        method: 'POST',
        target: `/api/sessions/${id}/message`,
        headers: { accept: 'text/event-stream' },
        body: JSON.stringify({ message: 'What is a variable?' }),
      });
      expect(response.status).toBe(200);
      expect(response.body).toContain('event: done');
    } finally {
      gemini.behave(scriptedTutor);
      await streaming.close();
    }
  });
});
