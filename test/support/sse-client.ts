import { request as httpRequest, type IncomingMessage } from 'node:http';

export interface SseEvent {
  id?: string;
  event: string;
  /** The data line, as sent. */
  data: string;
}

export interface SseConnection {
  status: number;
  headers: IncomingMessage['headers'];
  /** The events as they arrive; ends when the server ends the response. */
  events: AsyncGenerator<SseEvent>;
  /** Cuts the connection, as a network that drops it would. */
  cut(): void;
}

/** Opens a request over a connection of its own and reads its answer as server-sent events, one at a time. */
export function openSse(url: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<SseConnection> {
  const body = init.body === undefined ? undefined : JSON.stringify(init.body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: init.method ?? 'GET',
      agent: false,
      headers: { accept: 'text/event-stream', ...(body ? { 'content-type': 'application/json' } : {}), ...init.headers },
    });
    req.on('error', reject);
    req.on('response', (response) => {
      resolve({ status: response.statusCode!, headers: response.headers, events: readEvents(response), cut: () => req.destroy() });
    });
    req.end(body);
  });
}

async function* readEvents(response: IncomingMessage): AsyncGenerator<SseEvent> {
  let buffered = '';
  response.setEncoding('utf8');
  try {
    for await (const chunk of response) {
      buffered += chunk as string;
      for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(block)?.[1];
        yield { id: field('id'), event: field('event') ?? 'message', data: field('data') ?? '' };
      }
    }
  } catch (error) {
    // A connection the test cut ends the events; any other failure is the test's to see.
    if ((error as NodeJS.ErrnoException).code !== 'ECONNRESET' && (error as Error).message !== 'aborted') throw error;
  }
}

/** Reads events until one of `kinds` (by default the end of a reply: done or error) arrives, or the stream ends. */
export async function readUntil(events: AsyncGenerator<SseEvent>, kinds = ['done', 'error']): Promise<SseEvent[]> {
  const seen: SseEvent[] = [];
  for await (const event of events) {
    seen.push(event);
    if (kinds.includes(event.event)) break;
  }
  return seen;
}

/** The text of a list of events' `delta`s, joined. */
export const deltaText = (events: SseEvent[]) =>
  events
    .filter((event) => event.event === 'delta')
    .map((event) => (JSON.parse(event.data) as { text: string }).text)
    .join('');
