import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
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
      const signal = init?.signal ?? undefined;
      if (signal?.aborted) throw aborted(signal);
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const request = send(url, { method: init?.method ?? 'GET', headers: requestHeaders(init?.headers), agent: agents[url.protocol] }, (response) => {
        const status = { status: response.statusCode ?? 0, statusText: response.statusMessage ?? '', headers: responseHeaders(response) };
        if (response.headers['content-type']?.startsWith('text/event-stream')) {
          // The abort stays wired until the stream ends: it cancels a reply being streamed too.
          response.once('close', unwire);
          resolve(new Response(Readable.toWeb(response) as ReadableStream<Uint8Array>, status));
          return;
        }
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          unwire();
          // A Response may not carry a body with these statuses, even an empty one.
          resolve(new Response([204, 205, 304].includes(status.status) ? null : Buffer.concat(chunks), status));
        });
        response.on('error', (error) => reject(failed(error)));
      });
      const unwire = abortOn(signal, request);
      request.on('error', (error) => {
        unwire();
        reject(failed(error));
      });
      request.end(body ?? undefined);
    });
}

/**
 * Destroys the request, and with it the response it may have started, when `signal` aborts; returns what undoes
 * that. A listener of our own: node:http's `signal` option wires the request's end-of-stream tracking as well,
 * which cost ~2 % of an LLM call here.
 */
function abortOn(signal: AbortSignal | undefined, request: ClientRequest): () => void {
  if (!signal) return () => {};
  const onAbort = () => request.destroy(aborted(signal));
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

/** The headers as node:http takes them: the SDK passes a plain object, which needs no copy through `Headers`. */
function requestHeaders(headers: RequestInit['headers']): OutgoingHttpHeaders {
  if (headers === undefined) return {};
  if (headers instanceof Headers || Array.isArray(headers)) return Object.fromEntries(new Headers(headers).entries());
  return headers as Record<string, string>;
}

/** The response's headers as a record, which `Response` takes as they are (a repeated header joined, as fetch does). */
function responseHeaders(response: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

/** An abort rejects as node:http's `signal` option made it: an `AbortError`, the signal's reason as its cause. */
function aborted(signal: AbortSignal): Error {
  return Object.assign(new Error('The operation was aborted', { cause: signal.reason }), { name: 'AbortError', code: 'ABORT_ERR' });
}

/** An abort stays an `AbortError`; anything else is a failed fetch, as Node's fetch reports it. */
function failed(error: Error): Error {
  return error.name === 'AbortError' ? error : new TypeError('fetch failed', { cause: error });
}
