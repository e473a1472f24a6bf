import { createServer, request as httpRequest, type Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp } from '../support/build-test-app.js';
import { startGeminiDouble, type GeminiDouble } from '../support/gemini-double.js';
import { startSession } from '../support/requests.js';
import { scriptedTutor } from '../support/scripted-gemini.js';

// Corporate networks reach model APIs through a proxy: model calls honour HTTP(S)_PROXY and NO_PROXY.

/** A forward proxy, as corporate networks run: CONNECT tunnels, and plain requests in absolute form. */
async function startForwardProxy() {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const upstream = httpRequest(req.url!, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    req.pipe(upstream);
  });
  server.on('connect', (req, socket, head) => {
    seen.push(`CONNECT ${req.url}`);
    const [host, port] = req.url!.split(':');
    const upstream = net.connect(Number(port), host, () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(socket).pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, close: () => new Promise((resolve) => server.close(resolve)) };
}

let gemini: GeminiDouble;
let proxy: Awaited<ReturnType<typeof startForwardProxy>>;
beforeAll(async () => {
  gemini = await startGeminiDouble(scriptedTutor);
  proxy = await startForwardProxy();
});
afterAll(async () => {
  await gemini?.close();
  await proxy?.close();
});

describe('model calls through a proxy', () => {
  it('go through HTTP_PROXY (an http:// model as plain requests, as curl sends them), and straight to a host in NO_PROXY', async () => {
    const modelHost = new URL(gemini.url).host;
    const proxied = await buildTestApp({ GEMINI_API_KEY: 'k', GEMINI_BASE_URL: gemini.url, HTTP_PROXY: proxy.url });
    try {
      await startSession(proxied.app);
      expect(proxy.seen.some((line) => line.startsWith(`POST http://${modelHost}/v1beta/models/`))).toBe(true);
      expect(proxy.seen.filter((line) => line.startsWith('CONNECT'))).toEqual([]);
    } finally {
      await proxied.close();
    }

    proxy.seen.length = 0;
    const direct = await buildTestApp({ GEMINI_API_KEY: 'k', GEMINI_BASE_URL: gemini.url, http_proxy: proxy.url, NO_PROXY: '127.0.0.1' });
    try {
      await startSession(direct.app);
      expect(proxy.seen).toEqual([]);
    } finally {
      await direct.close();
    }
  });
});
