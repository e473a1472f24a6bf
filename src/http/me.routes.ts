import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { problemResponses } from './errors.js';
import { id } from './session-schemas.js';

const meSchema = z
  .object({
    kind: z
      .enum(['user', 'service', 'admin', 'open'])
      .describe('user: signed in with a token; service: the service API key; admin: the admin API key; open: no authentication is configured'),
    user_id: id.nullable().describe('The user a token signs in; null for the others, who name a learner in each request'),
    role: z
      .enum(['learner', 'teacher', 'admin'])
      .nullable()
      .describe("A token's role (learner when its role claim is absent); admin for the admin key; null for the others"),
    course_ids: z.array(id).describe('The courses a teacher teaches; empty for everyone else'),
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
      const user = principal.kind === 'user' ? principal : undefined;
      return {
        kind: principal.kind,
        user_id: user?.userId ?? null,
        role: user?.role ?? (principal.kind === 'admin' ? 'admin' : null),
        course_ids: user?.courseIds ?? [],
      };
    },
  );
};
