import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpFetch } from '../../src/llm/http-fetch.js';

// A model API's shapes, from a real server: JSON answers, an event stream written in parts, and one that never answers.
let server: Server;
let url: string;
let releaseStream: () => void = () => {};
beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      if (request.url === '/json') {
        response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '3' });
        response.end(JSON.stringify({ method: request.method, key: request.headers['x-goog-api-key'], body }));
      } else if (request.url === '/stream') {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write('data: first\n\n');
        releaseStream = () => response.end('data: last\n\n');
      }
      // '/silent' is never answered.
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const httpFetch = createHttpFetch();

describe('the fetch the LLM providers use', () => {
  it('sends the method, headers and body, and returns the status, headers and body as a Response', async () => {
    const response = await httpFetch(`${url}/json`, { method: 'POST', headers: { 'x-goog-api-key': 'k1' }, body: '{"a":1}' });
    expect(response).toBeInstanceOf(Response);
    expect(response.status).toBe(429);
    expect(response.ok).toBe(false);
    expect(response.headers.get('retry-after')).toBe('3');
    expect(await response.json()).toEqual({ method: 'POST', key: 'k1', body: '{"a":1}' });
  });

  it('passes an event stream on as it arrives', async () => {
    const response = await httpFetch(`${url}/stream`, { method: 'POST', body: '{}' });
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(Buffer.from(first.value!).toString()).toBe('data: first\n\n'); // the server has not finished the response
    releaseStream();
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += Buffer.from(chunk.value).toString();
    expect(rest).toBe('data: last\n\n');
  });

  it('rejects an aborted call with an AbortError', async () => {
    const controller = new AbortController();
    const call = httpFetch(`${url}/silent`, { method: 'POST', body: '{}', signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('rejects a connection failure as fetch does, with the cause', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const failure = await httpFetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: '{}' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TypeError);
    expect(failure).toMatchObject({ message: 'fetch failed', cause: { code: 'ECONNREFUSED' } });
  });
});
