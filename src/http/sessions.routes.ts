import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { IdempotencyStore } from '../db/idempotency.js';
import type { ReplyStreamStore } from '../db/reply-streams.js';
import { AppError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { CommitWith } from '../tutoring/turn.js';
import type { Tutor } from '../tutoring/tutor.js';
import { ownerOf } from './auth.js';
import { problemResponses } from './errors.js';
import { replayAsStream, streamTurn } from './event-stream.js';
import { recordReply, type ReplyRecording } from './reply-recording.js';
import { resumeReply } from './reply-resume.js';
import { idempotency, type IdempotencyOptions } from './idempotency.js';
import { presentProgress, presentSession, presentStarted, presentTurn } from './session-presenters.js';
import {
  detailsSchema,
  id,
  idText,
  messageBodySchema,
  sessionIdParams,
  sessionSchema,
  startBody,
  startedSchema,
  turnSchema,
} from './session-schemas.js';

export const sessionRoutes =
  (
    tutor: Tutor,
    stores: { keys: IdempotencyStore; streams: ReplyStreamStore },
    metrics: Metrics,
    options: { maxMessageLength: number; maxSessionMessages: number; debug: boolean; idempotency: IdempotencyOptions },
  ): FastifyPluginAsync =>
  async (app) => {
    const routes = app.withTypeProvider<ZodTypeProvider>();
    const { keys, streams } = stores;

    routes.post(
      '/api/sessions/start',
      {
        schema: {
          tags: ['sessions'],
          summary: 'Start a tutoring session on one topic',
          description: 'Send an `Idempotency-Key` header to make a retry safe: the same request again gets the same response.',
          body: startBody,
          response: {
            201: startedSchema,
            ...problemResponses(
              'invalid_json',
              'unauthorized',
              'forbidden',
              'topic_not_found',
              'payload_too_large',
              'unsupported_media_type',
              'budget_exceeded',
              'dependency_unavailable',
            ),
          },
        },
      },
      async (request, reply) => {
        const { user_id, topic_id, course_id, language } = request.body;
        const owner = ownerOf(request);
        if (owner !== undefined && owner !== user_id) {
          throw new AppError('forbidden', 'A learner can only start sessions for themselves.');
        }
        const outcome = await idempotency<z.infer<typeof startedSchema>>(request, keys, options.idempotency, 201);
        if (outcome.replay) return reply.code(201).header('idempotent-replayed', 'true').send(outcome.replay);
        const { store } = outcome;
        const body = await outcome.guard(async () => {
          const started = await tutor.startSession(
            { userId: user_id, topicId: topic_id, courseId: course_id, language },
            store && ((tx, session) => store(tx, presentStarted(session))),
          );
          return presentStarted(started);
        });
        return reply.code(201).send(body);
      },
    );

    routes.post(
      '/api/sessions/:id/message',
      {
        schema: {
          tags: ['sessions'],
          summary: 'Send the learner’s message and get the tutor’s reply',
          description:
            'Send an `Idempotency-Key` header to make a retry safe: the same request again gets the same response. ' +
            'With `Accept: text/event-stream` the reply streams as server-sent events: `delta` events with text ' +
            'pieces, then one `done` event with this JSON response, or one `error` event with a problem. Each event has an ' +
            'id: a client that loses the connection reads the rest from `GET /api/sessions/{id}/stream` with `Last-Event-ID`. ' +
            'A client that disconnects mid-stream does not cancel the turn: it is completed and saved.',
          params: sessionIdParams,
          body: messageBodySchema(options.maxMessageLength),
          response: {
            200: turnSchema,
            ...problemResponses(
              'invalid_json',
              'unauthorized',
              'session_not_found',
              'session_not_active',
              'idempotency_key_reused',
              'payload_too_large',
              'unsupported_media_type',
              'budget_exceeded',
              'dependency_unavailable',
            ),
          },
        },
      },
      async (request, reply) => {
        const streamed = request.headers.accept?.includes('text/event-stream') === true;
        const outcome = await idempotency<z.infer<typeof turnSchema>>(request, keys, options.idempotency, 200);
        if (outcome.replay) {
          reply.header('idempotent-replayed', 'true');
          // A client that asked for a stream gets its retry's answer as a stream too.
          return streamed ? replayAsStream(reply, outcome.replay.ai_message, outcome.replay) : reply.code(200).send(outcome.replay);
        }
        const turn = await tutor.prepareTurn(request.params.id, request.body.message, ownerOf(request)).catch(async (error: unknown) => {
          await outcome.failed();
          throw error;
        });
        const { store } = outcome;
        // The response is written in the turn's transaction for replays, and, streamed, as the reply's end for resumes.
        const answer = (onText?: (text: string) => void, recording?: ReplyRecording) =>
          outcome.guard(async () => {
            const commitWith: CommitWith | undefined =
              store || recording
                ? async (tx, made) => {
                    const body = presentTurn(made);
                    await store?.(tx, body);
                    await recording?.done(tx, body);
                  }
                : undefined;
            const result = await turn.run(onText, commitWith);
            metrics.turns.inc();
            if (result.topicCompleted) metrics.completions.inc();
            return presentTurn(result);
          });
        if (!streamed) return answer();
        const recording = recordReply(streams, { sessionId: request.params.id, lease: turn.lease }, request.log);
        return streamTurn(reply, (onText) => answer(onText, recording), { debug: options.debug, recording });
      },
    );

    routes.get(
      '/api/sessions/:id/stream',
      {
        schema: {
          tags: ['sessions'],
          summary: 'Resume a streamed reply',
          description:
            'For a client that lost a streamed reply: with `Last-Event-ID` (the id of the last event it received), the ' +
            'rest of the reply, then its `done` (or `error`), on any instance; without it, the whole reply in progress. ' +
            'With no reply in progress, the latest turn\'s `done` at once, or 204 when the session has had no turn. A reply ' +
            'whose instance stopped ends with an `error` event (`reply_interrupted`): send the message again with the same ' +
            '`Idempotency-Key`.',
          params: sessionIdParams,
          headers: z.object({ 'last-event-id': z.string().optional().describe('`<turn>:<offset>`, from the stream') }),
          response: {
            200: z.string().describe('text/event-stream: `delta`, then `done` or `error`'),
            204: z.null().describe('The session has had no turn yet'),
            ...problemResponses('unauthorized', 'session_not_found'),
          },
        },
      },
      async (request, reply) => {
        const sessionId = request.params.id;
        const owner = ownerOf(request);
        return resumeReply(request, reply, sessionId, owner, {
          streams,
          lastDone: async () => {
            const last = await tutor.lastTurn(sessionId, owner);
            return last && presentTurn(last);
          },
        });
      },
    );

    routes.post(
      '/api/sessions/:id/abandon',
      {
        schema: {
          tags: ['sessions'],
          summary: 'End an active session early',
          params: sessionIdParams,
          response: { 200: sessionSchema, ...problemResponses('unauthorized', 'session_not_found', 'session_not_active') },
        },
      },
      async (request) => presentSession(await tutor.abandonSession(request.params.id, ownerOf(request))),
    );

    routes.get(
      '/api/sessions',
      {
        schema: {
          tags: ['sessions'],
          summary: "A learner's sessions, newest first",
          description:
            'Pages of `limit` sessions; pass `next_before` from a page as `before` for the next one. A learner with a token ' +
            'sees only their own sessions (user_id may be omitted); other callers must give user_id.',
          querystring: z.strictObject({
            user_id: idText.optional(),
            limit: idText.pipe(z.number().max(100)).default(20),
            before: idText.optional(),
          }),
          response: {
            200: z.object({ sessions: z.array(sessionSchema), next_before: id.nullable() }).meta({ id: 'SessionList' }),
            ...problemResponses('unauthorized', 'forbidden'),
          },
        },
      },
      async (request) => {
        const owner = ownerOf(request);
        const userId = request.query.user_id ?? owner;
        if (userId === undefined) throw new AppError('validation_failed', 'Invalid querystring: user_id is required.');
        if (owner !== undefined && owner !== userId) throw new AppError('forbidden', "A learner can only list their own sessions.");
        const { limit, before } = request.query;
        const sessions = await tutor.listSessions(userId, limit, before);
        return {
          sessions: sessions.map(presentSession),
          next_before: sessions.length === limit ? sessions.at(-1)!.id : null,
        };
      },
    );

    routes.get(
      '/api/sessions/:id',
      {
        schema: {
          tags: ['sessions'],
          summary: 'A session with its context and conversation',
          description:
            `The whole conversation (a session holds at most ${options.maxSessionMessages} messages), or with \`limit\` the newest ` +
            '`limit` messages, in order; pass `next_before` as `before` for the page before them. A session longer than ' +
            'the bound (made before it was set) is answered with its newest messages and `next_before`.',
          params: sessionIdParams,
          querystring: z.strictObject({
            limit: idText.pipe(z.number().max(options.maxSessionMessages)).optional().describe('Messages a page'),
            before: idText.optional().describe('Only messages older than this message id'),
          }),
          response: { 200: detailsSchema, ...problemResponses('unauthorized', 'session_not_found') },
        },
        // A conversation of hundreds of messages: Zod's check of each against the schema takes most of this request's
        // time (BENCHMARKS.md, GET of a session). The handler's result is held to the same schema by its type at
        // compile time, so this route's answers (problems included) are written by JSON.stringify alone.
        serializerCompiler: () => (data) => JSON.stringify(data),
      },
      async (request) => {
        // Without a limit, the whole conversation: a session holds at most maxSessionMessages, and one made longer
        // before that bound existed is answered with its newest ones (and next_before), never read whole.
        const { limit = options.maxSessionMessages, before } = request.query;
        const { session, context, initialMessage, messages, nextBefore, progress, usage, progressSync } = await tutor.getSession(
          request.params.id,
          ownerOf(request),
          { limit, before },
        );
        return {
          ...presentSession(session),
          initial_message: initialMessage,
          language: context.language,
          context: {
            user_level: context.userLevel,
            course_title: context.courseTitle,
            topic_title: context.topicTitle,
            learning_objectives: context.learningObjectives,
            completed_topics: context.completedTopics,
            struggles: context.struggles,
          },
          messages,
          next_before: nextBefore,
          progress: presentProgress(progress),
          usage: {
            prompt_tokens: usage.promptTokens,
            output_tokens: usage.outputTokens,
            cached_tokens: usage.cachedTokens,
            total_tokens: usage.promptTokens + usage.outputTokens,
          },
          progress_sync: progressSync,
        };
      },
    );
  };
