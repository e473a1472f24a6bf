import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { fastifyRequestContext, requestContext } from '@fastify/request-context';
import type { FastifyInstance } from 'fastify';

declare module '@fastify/request-context' {
  interface RequestContextData {
    requestId: string;
  }
}

// An incoming id is kept when it is a plausible one; anything else could forge or flood log lines.
const acceptable = /^[\w.:-]{1,128}$/;

/** Fastify's `genReqId`: the caller's `X-Request-Id`, or a new UUID. */
export function requestIdOf(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && acceptable.test(incoming) ? incoming : randomUUID();
}

/** The id of the request being served, wherever the code runs (logs, calls to .NET); undefined outside one. */
export function currentRequestId(): string | undefined {
  return requestContext.get('requestId');
}

/** Echoes the request id in the response and makes it available to the code serving the request. */
export async function registerRequestId(app: FastifyInstance): Promise<void> {
  await app.register(fastifyRequestContext, { defaultStoreValues: (request) => ({ requestId: request.id }) });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
}
