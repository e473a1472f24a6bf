import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { learnerApi } from '../../src/client/api.js';

// The clients' turn delivery (the web app and the terminal chat share it) against a server that misbehaves as a
// network can: a stream that goes silent, an event that cannot be read, a server that never answers.

let server: Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

async function serve(handle: (request: IncomingMessage, response: ServerResponse) => void): Promise<string> {
  server = createServer(handle);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

const turn = { session_id: 1, ai_message: 'Hello there', topic_completed: false, timestamp: '2026-12-05T00:00:00Z', message_id: 3, user_message_id: 2, progress: {} };
const event = (name: string, id: string, data: unknown) => `event: ${name}\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`;
const quick = { patienceMs: 3_000, stallMs: 300 };

describe('a turn delivered to a client', () => {
  it('gives up on a stream that goes silent, and reads the rest after the last event it took', async () => {
    const requests: string[] = [];
    const url = await serve((request, response) => {
      requests.push(`${request.method} ${request.url} ${request.headers['last-event-id'] ?? ''}`.trim());
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      if (request.method === 'POST') {
        response.write(event('delta', 't:0', { text: 'Hello' }));
        return; // and then nothing, the connection held open
      }
      response.write(event('delta', 't:5', { text: ' there' }));
      response.end(event('done', 't:11', turn));
    });
    const shown: string[] = [];
    const result = await learnerApi({ kind: 'open', userId: 1 }, url, quick).deliver({ sessionId: 1, message: 'hi', key: 'k1' }, (text) => shown.push(text));
    expect(result.ai_message).toBe('Hello there');
    expect(shown.at(-1)).toBe('Hello there');
    expect(requests).toEqual(['POST /api/sessions/1/message', 'GET /api/sessions/1/stream t:0']);
  });

  it('reads again an event it could not read, rather than skipping it', async () => {
    const requests: string[] = [];
    const url = await serve((request, response) => {
      requests.push(`${request.method} ${request.headers['last-event-id'] ?? '-'}`);
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      if (request.method === 'POST') {
        response.write(event('delta', 't:0', { text: 'Hello' }));
        response.end('event: delta\nid: t:5\ndata: {not json\n\n');
        return;
      }
      response.write(event('delta', 't:5', { text: ' there' }));
      response.end(event('done', 't:11', turn));
    });
    const result = await learnerApi({ kind: 'open', userId: 1 }, url, quick).deliver({ sessionId: 1, message: 'hi', key: 'k2' }, () => {});
    expect(result.ai_message).toBe('Hello there');
    expect(requests).toEqual(['POST -', 'GET t:0']);
  });

  it('fails with a network error once its patience is spent, when the service never answers', async () => {
    const url = await serve(() => {}); // takes every request, answers none
    const failure = await learnerApi({ kind: 'open', userId: 1 }, url, { patienceMs: 1_000, stallMs: 200 })
      .deliver({ sessionId: 1, message: 'hi', key: 'k3' }, () => {})
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ status: 0, code: 'network' });
  });
});
