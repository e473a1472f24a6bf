import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RoundRobin {
  url: string;
  close(): Promise<void>;
}

/**
 * A small load balancer in front of several service instances: each request goes to the next instance in turn.
 * An instance that cannot be reached (killed) answers 502, as a real balancer does for a request it cannot place:
 * the client retries, and its retry goes to the next instance.
 */
export async function startRoundRobin(backends: () => string[]): Promise<RoundRobin> {
  let next = 0;
  const server: Server = createServer((req, res) => {
    const list = backends();
    const target = new URL(req.url ?? '/', list[next++ % list.length]);
    const upstream = httpRequest(target, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => {
      if (res.headersSent) return void res.destroy();
      res.writeHead(502, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ status: 502, title: 'Bad gateway' }));
    });
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
