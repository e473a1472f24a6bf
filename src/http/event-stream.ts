import { PassThrough } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { serverProblem } from './errors.js';

/**
 * Answers with server-sent events: `delta` events while `produce` passes text on, then `done` with its
 * result, or `error` with a problem. The status line is sent first, so an error can only be an event.
 * A client that goes away does not stop `produce`: the turn completes and is saved, and is there on reload.
 */
export function streamTurn<T>(
  reply: FastifyReply,
  produce: (onText: (text: string) => void) => Promise<T>,
  options: { debug: boolean },
): FastifyReply {
  const stream = new PassThrough();
  const send = (event: string, data: unknown) => {
    if (!stream.destroyed) stream.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  reply
    .header('content-type', 'text/event-stream; charset=utf-8')
    .header('cache-control', 'no-cache')
    .header('x-accel-buffering', 'no')
    .send(stream);
  void produce((text) => send('delta', { text }))
    .then(
      (result) => send('done', result),
      (error: Error) => send('error', serverProblem(error, reply.log, options.debug)),
    )
    .finally(() => stream.end());
  return reply;
}

/** Answers a replayed request that asked for a stream as the stream it got: its whole text, then the same `done`. */
export function replayAsStream(reply: FastifyReply, text: string, done: unknown): FastifyReply {
  return streamTurn(reply, async (onText) => {
    onText(text);
    return done;
  }, { debug: false });
}
