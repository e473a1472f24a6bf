import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DotnetCall {
  method: string;
  path: string;
  apiKey: string | undefined;
  requestId: string | undefined;
  // The JSON body of a POST.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  at: number;
}

/** A scripted fault for the next call to a route: a status, a delay, a body that breaks the contract, a reset connection. */
export interface Fault {
  status?: number;
  retryAfter?: string;
  delayMs?: number;
  body?: string;
  reset?: boolean;
}

type Route = 'topic' | 'context' | 'complete';

export interface DotnetDouble {
  url: string;
  calls: DotnetCall[];
  topics: Map<number, Record<string, unknown>>;
  contexts: Map<number, Record<string, unknown>>;
  /** Session ids whose completion was accepted, in order; a repeat is answered 409 and not added. */
  completions: number[];
  /** Faults for the next calls of a route, used up in order. */
  faults: Record<Route, Fault[]>;
  /** Answer with PascalCase property names, as some ASP.NET setups do. */
  pascalCase: boolean;
  /** Stop listening (connection refused), and listen again on the same port. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

/** A real HTTP server speaking the .NET backend's contract under `prefix`. */
export async function startDotnetDouble(prefix = '/api'): Promise<DotnetDouble> {
  let server: Server | undefined;
  let port = 0;
  const double: DotnetDouble = {
    url: '',
    calls: [],
    topics: new Map(),
    contexts: new Map(),
    completions: [],
    faults: { topic: [], context: [], complete: [] },
    pascalCase: false,
    async down() {
      await new Promise<void>((resolve) => {
        server!.close(() => resolve());
        server!.closeAllConnections();
      });
    },
    async up() {
      server = createServer((req, res) => void handle(req, res));
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    },
    close: () => double.down(),
  };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const path = (req.url ?? '').slice(prefix.length);
    double.calls.push({ method: req.method!, path, apiKey: req.headers['x-api-key'] as string | undefined, requestId: req.headers['x-request-id'] as string | undefined, body: text ? JSON.parse(text) : undefined, at: Date.now() });

    const topic = /^\/TrainingTopics\/(\d+)$/.exec(path);
    const context = /^\/UserProgress\/(\d+)\/context$/.exec(path);
    const route: Route | undefined = !(req.url ?? '').startsWith(prefix)
      ? undefined
      : topic && req.method === 'GET'
        ? 'topic'
        : context && req.method === 'GET'
          ? 'context'
          : path === '/UserProgress/complete-topic' && req.method === 'POST'
            ? 'complete'
            : undefined;
    if (!route) return json(res, 404, { title: 'Not Found' });

    const fault = double.faults[route].shift();
    if (fault?.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
    if (fault?.reset) return void req.socket.destroy();
    if (fault?.status) return json(res, fault.status, { title: 'fault' }, fault.retryAfter ? { 'retry-after': fault.retryAfter } : {});
    if (fault?.body !== undefined) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(fault.body);
    }

    if (route === 'topic') {
      const found = double.topics.get(Number(topic![1]));
      return found ? json(res, 200, found) : json(res, 404, { title: 'Not Found' });
    }
    if (route === 'context') {
      return json(res, 200, double.contexts.get(Number(context![1])) ?? { userLevel: 'beginner', completedTopicIds: [], struggleTopics: [] });
    }
    const sessionId = JSON.parse(text).SessionId as number;
    if (double.completions.includes(sessionId)) return json(res, 409, { title: 'Already recorded' });
    double.completions.push(sessionId);
    return json(res, 200, { recorded: true });
  }

  function json(res: ServerResponse, status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) {
    const cased = double.pascalCase
      ? Object.fromEntries(Object.entries(body).map(([key, value]) => [key[0]!.toUpperCase() + key.slice(1), value]))
      : body;
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(cased));
  }

  await double.up();
  double.url = `http://127.0.0.1:${port}`;
  return double;
}
