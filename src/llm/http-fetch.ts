import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';

/**
 * The `fetch` the LLM providers call the model with: node:http over keep-alive connections. Node's own fetch
 * (undici) builds web streams, abort wiring and a clone of each request body for redirects it would follow: a
 * quarter of the CPU an LLM call costs here, and garbage that outlives young collections (BENCHMARKS.md). What
 * the SDK relies on is kept: a `Response`; an event stream passed on as it arrives, any other body read whole
 * first; connection failures rejected as fetch rejects them (`TypeError: fetch failed`, the cause attached), so
 * the SDK still retries them; an abort rejects with an `AbortError`. Redirects are not followed (model APIs do
 * not redirect) and no compression is asked for.
 */
export function createHttpFetch(): typeof fetch {
  const agents = { 'http:': new HttpAgent({ keepAlive: true }), 'https:': new HttpsAgent({ keepAlive: true }) };
  return (input, init) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`fetch: unsupported protocol ${url.protocol}`);
      const body = init?.body;
      if (body != null && typeof body !== 'string' && !(body instanceof Uint8Array)) throw new TypeError('fetch: only string and byte bodies are sent');
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const request = send(
        url,
        {
          method: init?.method ?? 'GET',
          headers: Object.fromEntries(new Headers(init?.headers).entries()),
          agent: agents[url.protocol],
          signal: init?.signal ?? undefined,
        },
        (response) => {
          const status = { status: response.statusCode ?? 0, statusText: response.statusMessage ?? '', headers: responseHeaders(response) };
          if (response.headers['content-type']?.startsWith('text/event-stream')) {
            resolve(new Response(Readable.toWeb(response) as ReadableStream<Uint8Array>, status));
            return;
          }
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          // A Response may not carry a body with these statuses, even an empty one.
          response.on('end', () => resolve(new Response([204, 205, 304].includes(status.status) ? null : Buffer.concat(chunks), status)));
          response.on('error', (error) => reject(failed(error)));
        },
      );
      request.on('error', (error) => reject(failed(error)));
      request.end(body ?? undefined);
    });
}

function responseHeaders(response: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

/** An abort stays an `AbortError`; anything else is a failed fetch, as Node's fetch reports it. */
function failed(error: Error): Error {
  return error.name === 'AbortError' ? error : new TypeError('fetch failed', { cause: error });
}
