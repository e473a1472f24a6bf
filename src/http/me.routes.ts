import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { problemResponses } from './errors.js';
import { id } from './session-schemas.js';

const meSchema = z
  .object({
    kind: z
      .enum(['user', 'service', 'open'])
      .describe('user: a learner signed in with a token; service: the service API key; open: no authentication is configured'),
    user_id: id.nullable().describe('The learner a token signs in; null for the others, who name a learner in each request'),
  })
  .meta({ id: 'Caller' });

/** `GET /api/me`: who the credentials identify, so that a client (the web app, the terminal chat) knows whom it acts for. */
export const meRoutes: FastifyPluginAsync = async (app) => {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/api/me',
    {
      schema: {
        tags: ['service'],
        summary: 'Who the request’s credentials identify',
        response: { 200: meSchema, ...problemResponses('unauthorized') },
      },
    },
    async (request) => {
      const { principal } = request;
      return { kind: principal.kind, user_id: principal.kind === 'user' ? principal.userId : null };
    },
  );
};
