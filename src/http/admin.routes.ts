import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Oversight, Scope } from '../oversight/oversight.js';
import type { Privacy } from '../privacy/privacy.js';
import type { FastifyRequest } from 'fastify';
import {
  presentFlag,
  presentLearner,
  presentOverseenSession,
  presentTopicAnalytics,
  presentTranscript,
  presentUsage,
} from './admin-presenters.js';
import {
  analyticsQuery,
  erasedSchema,
  exportQuery,
  flagParams,
  flagSchema,
  flagsPageSchema,
  flagsQuery,
  learnerParams,
  learnerSchema,
  sessionsPageSchema,
  sessionsQuery,
  topicAnalyticsSchema,
  transcriptSchema,
  usageQuery,
  usageReportSchema,
} from './admin-schemas.js';
import { problemResponses } from './errors.js';
import { oversightScope } from './oversight-access.js';
import { sessionIdParams } from './session-schemas.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** An oversight route teachers may use (for their courses); the others are for admins. */
    teachers?: boolean;
  }
  interface FastifyRequest {
    /** What the caller of an oversight route may see, decided before its input is even validated. */
    oversight: Scope | null;
  }
}

export interface AdminRouteOptions {
  /** No authentication is configured, outside production: every caller is an admin. */
  openIsAdmin: boolean;
}

const denied = ['unauthorized', 'forbidden'] as const;

/**
 * The oversight routes, for teachers (their courses) and admins: sessions across learners, transcripts with the
 * expected answers and grades, learners, topic analytics, and (admins only) usage and cost.
 */
export const adminRoutes =
  (oversight: Oversight, privacy: Privacy, options: AdminRouteOptions): FastifyPluginAsync =>
  async (app) => {
    const routes = app.withTypeProvider<ZodTypeProvider>();
    // Who may call a route is decided from the verified caller and the matched route, before its input is validated:
    // a caller who may not use it learns nothing from its validation errors.
    app.decorateRequest('oversight', null);
    app.addHook('preValidation', async (request) => {
      request.oversight = oversightScope(request, { teachers: request.routeOptions.config.teachers === true, openIsAdmin: options.openIsAdmin });
    });
    const scopeOf = (request: FastifyRequest) => request.oversight!;
    const forTeachers = { teachers: true };
    const forAdmins = { teachers: false };

    routes.get(
      '/api/admin/sessions',
      {
        config: forTeachers,
        schema: {
          tags: ['oversight'],
          summary: 'Sessions across learners, newest first, with their turns, tokens and cost',
          querystring: sessionsQuery,
          response: { 200: sessionsPageSchema, ...problemResponses(...denied) },
        },
      },
      async (request) => {
        const scope = scopeOf(request);
        const { course_id, topic_id, user_id, status, flagged, from, to, limit, before } = request.query;
        const page = await oversight.sessions(scope, { courseId: course_id, topicId: topic_id, userId: user_id, status, flagged, from, to }, limit, before);
        return { items: page.items.map(presentOverseenSession), next_before: page.nextBefore };
      },
    );

    routes.get(
      '/api/admin/sessions/:id',
      {
        config: forTeachers,
        schema: {
          tags: ['oversight'],
          summary: 'A session’s transcript: each question asked, its expected answer, the learner’s answer and the grade',
          params: sessionIdParams,
          response: { 200: transcriptSchema, ...problemResponses(...denied, 'session_not_found') },
        },
      },
      async (request) => presentTranscript(await oversight.transcript(scopeOf(request), request.params.id)),
    );

    routes.get(
      '/api/admin/learners/:user_id',
      {
        config: forTeachers,
        schema: {
          tags: ['oversight'],
          summary: 'A learner: topics completed, struggles, sessions, tokens and cost',
          params: learnerParams,
          response: { 200: learnerSchema, ...problemResponses(...denied, 'learner_not_found') },
        },
      },
      async (request) => presentLearner(await oversight.learner(scopeOf(request), request.params.user_id)),
    );

    routes.get(
      '/api/admin/analytics/topics',
      {
        config: forTeachers,
        schema: {
          tags: ['oversight'],
          summary: 'Per topic: sessions started, completed and abandoned, pace to completion, hints, the questions most often missed',
          querystring: analyticsQuery,
          response: { 200: topicAnalyticsSchema, ...problemResponses(...denied, 'course_not_found') },
        },
      },
      async (request) => presentTopicAnalytics(await oversight.topicAnalytics(scopeOf(request), request.query.course_id)),
    );

    routes.get(
      '/api/admin/flags',
      {
        config: forTeachers,
        schema: {
          tags: ['oversight'],
          summary: 'Safety flags newest first: the risks the moderation step found in learners’ messages',
          querystring: flagsQuery,
          response: { 200: flagsPageSchema, ...problemResponses(...denied) },
        },
      },
      async (request) => {
        const { status, course_id, user_id, limit, before } = request.query;
        const page = await oversight.flags(scopeOf(request), { status, courseId: course_id, userId: user_id }, limit, before);
        return { items: page.items.map(presentFlag), next_before: page.nextBefore };
      },
    );

    routes.post(
      '/api/admin/flags/:id/resolve',
      {
        config: forTeachers,
        schema: {
          tags: ['oversight'],
          summary: 'Resolve a safety flag (resolving it again changes nothing)',
          params: flagParams,
          response: { 200: flagSchema, ...problemResponses(...denied, 'flag_not_found') },
        },
      },
      async (request) => presentFlag(await oversight.resolveFlag(scopeOf(request), request.params.id, actorOf(request))),
    );

    routes.get(
      '/api/admin/export',
      {
        config: forAdmins,
        schema: {
          tags: ['oversight'],
          summary: 'Sessions and their messages, streamed as JSON Lines or CSV (admins only)',
          description:
            'JSON Lines: a `session` line before its `message` lines. CSV: one row per message with its session’s columns. ' +
            '`from` (inclusive) and `to` (exclusive) select sessions by their start. Read and sent a thousand messages at a time.',
          querystring: exportQuery,
          // The export is a stream of text, sent as it is read: no JSON body to validate.
          response: { 200: z.unknown().describe('JSON Lines (application/x-ndjson) or CSV (text/csv)'), ...problemResponses(...denied) },
        },
      },
      async (request, reply) => {
        const { format, course_id, from, to } = request.query;
        const stamp = new Date().toISOString().slice(0, 19).replaceAll(':', '-');
        reply
          .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
          .header('content-disposition', `attachment; filename="ai-training-export-${stamp}.${format}"`)
          .header('cache-control', 'no-store');
        return reply.send(Readable.from(privacy.export({ courseId: course_id, from, to }, format)));
      },
    );

    routes.delete(
      '/api/admin/learners/:user_id',
      {
        config: forAdmins,
        schema: {
          tags: ['oversight'],
          summary: 'Erase everything the service holds about a learner (admins only)',
          description:
            'Sessions, messages, contexts, questions and grades, usage, progress, flags, idempotency records, stream records and ' +
            'pending notices and events about them, in one transaction, then their Redis keys. Recorded in the erasure audit with a ' +
            'salted hash of the user id. Erasing a learner the service does not know answers zeros.',
          params: learnerParams,
          response: { 200: erasedSchema, ...problemResponses(...denied) },
        },
      },
      async (request) => {
        return { deleted: await privacy.erase(request.params.user_id, actorOf(request)) };
      },
    );

    routes.get(
      '/api/admin/usage',
      {
        config: forAdmins,
        schema: {
          tags: ['oversight'],
          summary: 'Tokens and cost of the model calls, per learner, course or model (admins only)',
          querystring: usageQuery,
          response: { 200: usageReportSchema, ...problemResponses(...denied) },
        },
      },
      async (request) => {
        const { group_by, from, to, limit, before } = request.query;
        return presentUsage(group_by, await oversight.usage(group_by, { from, to }, limit, before));
      },
    );
  };

/** Who did it, as flags and the erasure audit name them: the admin key (`admin`), a token's user (`user:<id>`). */
function actorOf(request: FastifyRequest): string {
  const { principal } = request;
  return principal.kind === 'user' ? `user:${principal.userId}` : principal.kind;
}
