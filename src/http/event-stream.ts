import { PassThrough } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { serverProblem } from './errors.js';
import type { ReplyRecording } from './reply-recording.js';

/** A server-sent event stream, answered with status 200 as soon as it opens. */
export interface EventStream {
  /** Sends one event; `data` is its JSON text. Nothing is sent once the client has gone. */
  send(event: string, data: string, id?: string): void;
  end(): void;
}

export function openEventStream(reply: FastifyReply): EventStream {
  const stream = new PassThrough();
  reply
    .header('content-type', 'text/event-stream; charset=utf-8')
    .header('cache-control', 'no-cache')
    .header('x-accel-buffering', 'no')
    .send(stream);
  return {
    send(event, data, id) {
      if (!stream.destroyed) stream.write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${data}\n\n`);
    },
    end: () => stream.end(),
  };
}

/**
 * Answers with server-sent events: `delta` events while `produce` passes text on, then `done` with its
 * result, or `error` with a problem. The status line is sent first, so an error can only be an event.
 * A client that goes away does not stop `produce`: the turn completes and is saved, and is there on reload.
 * With a recording, each event carries the id a client resumes from (GET /api/sessions/{id}/stream), and the
 * reply is recorded for that.
 */
export function streamTurn<T>(
  reply: FastifyReply,
  produce: (onText: (text: string) => void) => Promise<T>,
  options: { debug: boolean; recording?: ReplyRecording },
): FastifyReply {
  const { recording } = options;
  const events = openEventStream(reply);
  let sent = 0;
  const id = () => recording?.eventId(sent);
  void produce((text) => {
    sent += text.length;
    recording?.add(text);
    events.send('delta', JSON.stringify({ text }), id());
  })
    .then(
      (result) => events.send('done', JSON.stringify(result), id()),
      async (error: Error) => {
        const problem = JSON.stringify(serverProblem(error, reply.log, options.debug));
        await recording?.fail(problem);
        events.send('error', problem, id());
      },
    )
    .finally(() => events.end());
  return reply;
}

/** Answers a replayed request that asked for a stream as the stream it got: its whole text, then the same `done`. */
export function replayAsStream(reply: FastifyReply, text: string, done: unknown): FastifyReply {
  return streamTurn(reply, async (onText) => {
    onText(text);
    return done;
  }, { debug: false });
}
