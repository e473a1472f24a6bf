import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { MessageRow } from '../db/messages.js';
import type { SessionRow } from '../db/sessions.js';
import type { SessionProgress } from '../tutoring/session-state.js';
import type { TurnResult } from '../tutoring/turn.js';
import type { Tutor } from '../tutoring/tutor.js';
import { AppError } from '../errors.js';
import { ownerOf } from './auth.js';
import type { Db } from '../db/client.js';
import { problemResponses } from './errors.js';
import { idempotency } from './idempotency.js';
import { streamTurn } from './event-stream.js';

// PostgreSQL `integer` ids: a larger number can name no row, so it is invalid input rather than a 404.
const id = z.number().int().positive().max(2147483647);
const timestamp = z.iso.datetime().describe('ISO 8601, UTC');

const sessionIdParams = z.strictObject({ id: z.coerce.number().pipe(id).describe('Session id') });

const startBody = z
  .strictObject({
    user_id: id.describe('Learner id, as the training platform knows it'),
    topic_id: id.describe('Topic to learn'),
    course_id: id.describe('Course the topic belongs to'),
  })
  .meta({ id: 'StartSessionRequest' });

const sessionSchema = z
  .object({
    id,
    user_id: id,
    topic_id: id,
    course_id: id,
    status: z.enum(['active', 'completed', 'abandoned']),
    started_at: timestamp,
    completed_at: timestamp.nullable(),
  })
  .meta({ id: 'Session' });

const startedSchema = sessionSchema
  .extend({ initial_message: z.string().describe("The tutor's opening message") })
  .meta({ id: 'StartedSession' });

export function messageBodySchema(maxLength: number) {
  return z
    .strictObject({
      message: z
        .string()
        .refine((text) => text.trim().length > 0, 'must not be empty or only whitespace')
        .refine((text) => [...text].length <= maxLength, `must be at most ${maxLength} characters`)
        // NUL cannot be stored in PostgreSQL text, and other control characters have no place in a chat message.
        // eslint-disable-next-line no-control-regex -- matching control characters is the point
        .refine((text) => !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(text), 'must not contain control characters')
        .describe(`The learner's message, 1 to ${maxLength} characters`),
    })
    .meta({ id: 'SendMessageRequest' });
}

const progressSchema = z
  .object({
    questions_asked: z.number().int(),
    graded_answers: z.number().int(),
    correct_answers: z.number().int(),
    recent_graded: z.number().int().describe('Graded answers the pass rule looks at: the last question_count'),
    recent_correct: z.number().int().describe('Correct answers among them'),
    pass_correct: z.number().int(),
    question_count: z.number().int(),
    passed: z.boolean(),
  })
  .meta({ id: 'Progress', description: 'The topic is passed at pass_correct correct of the last question_count graded answers' });

const usageSchema = z
  .object({
    prompt_tokens: z.number().int(),
    output_tokens: z.number().int(),
    cached_tokens: z.number().int().describe('Prompt tokens served from the provider cache, included in prompt_tokens'),
    total_tokens: z.number().int(),
  })
  .meta({ id: 'Usage', description: 'LLM tokens of the session: tutor replies and grading calls' });

const turnSchema = z
  .object({
    session_id: id,
    ai_message: z.string(),
    topic_completed: z.boolean().describe('True when this answer completed the topic; the session is then completed'),
    timestamp,
    message_id: id.describe("The tutor's message"),
    user_message_id: id.describe("The learner's message"),
    progress: progressSchema,
  })
  .meta({ id: 'MessageResponse' });

const messageSchema = z
  .object({ id, role: z.enum(['user', 'assistant']), content: z.string(), timestamp })
  .meta({ id: 'Message' });

const detailsSchema = sessionSchema
  .extend({
    context: z.object({
      user_level: z.string(),
      course_title: z.string(),
      topic_title: z.string(),
      learning_objectives: z.string(),
      completed_topics: z.array(z.string()),
      struggles: z.array(z.string()),
    }),
    messages: z.array(messageSchema).describe('The conversation in order; system messages are never shown'),
    progress: progressSchema,
    usage: usageSchema,
    progress_sync: z
      .enum(['pending', 'delivered', 'dead'])
      .nullable()
      .describe('Delivery of the completion to the .NET backend; null without a backend or before completion'),
  })
  .meta({ id: 'SessionDetails' });

export const sessionRoutes =
  (tutor: Tutor, db: Db, options: { maxMessageLength: number; debug: boolean; idempotencyTtlMs: number }): FastifyPluginAsync =>
  async (app) => {
    const routes = app.withTypeProvider<ZodTypeProvider>();

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
            ...problemResponses('invalid_json', 'unauthorized', 'forbidden', 'topic_not_found', 'payload_too_large', 'unsupported_media_type', 'dependency_unavailable'),
          },
        },
      },
      async (request, reply) => {
        const { user_id, topic_id, course_id } = request.body;
        const owner = ownerOf(request);
        if (owner !== undefined && owner !== user_id) {
          throw new AppError('forbidden', 'A learner can only start sessions for themselves.');
        }
        const outcome = await idempotency<z.infer<typeof startedSchema>>(request, db, options.idempotencyTtlMs, 201);
        if (outcome.replay) return reply.code(201).header('idempotent-replayed', 'true').send(outcome.replay);
        const body = await outcome.guard(async () => {
          const started = await tutor.startSession({ userId: user_id, topicId: topic_id, courseId: course_id });
          return { ...presentSession(started.session), initial_message: started.initialMessage.content };
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
            'pieces, then one `done` event with this JSON response, or one `error` event with a problem. ' +
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
              'dependency_unavailable',
            ),
          },
        },
      },
      async (request, reply) => {
        const outcome = await idempotency<z.infer<typeof turnSchema>>(request, db, options.idempotencyTtlMs, 200);
        if (outcome.replay) return reply.code(200).header('idempotent-replayed', 'true').send(outcome.replay);
        const turn = await tutor.prepareTurn(request.params.id, request.body.message, ownerOf(request)).catch(async (error: unknown) => {
          await outcome.failed();
          throw error;
        });
        const answer = (onText?: (text: string) => void) => outcome.guard(() => turn.run(onText).then(presentTurn));
        if (!request.headers.accept?.includes('text/event-stream')) return answer();
        return streamTurn(reply, answer, { debug: options.debug });
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
            user_id: z.coerce.number().pipe(id).optional(),
            limit: z.coerce.number().int().min(1).max(100).default(20),
            before: z.coerce.number().pipe(id).optional(),
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
          params: sessionIdParams,
          response: { 200: detailsSchema, ...problemResponses('unauthorized', 'session_not_found') },
        },
      },
      async (request) => {
        const { session, context, messages, progress, usage, progressSync } = await tutor.getSession(request.params.id, ownerOf(request));
        return {
          ...presentSession(session),
          context: {
            user_level: context.userLevel,
            course_title: context.courseTitle,
            topic_title: context.topicTitle,
            learning_objectives: context.learningObjectives,
            completed_topics: context.completedTopics,
            struggles: context.struggles,
          },
          messages: messages.map(presentMessage),
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

function presentSession(session: SessionRow) {
  return {
    id: session.id,
    user_id: session.userId,
    topic_id: session.topicId,
    course_id: session.courseId,
    status: session.status,
    started_at: session.startedAt.toISOString(),
    completed_at: session.completedAt?.toISOString() ?? null,
  };
}

function presentTurn(turn: TurnResult) {
  return {
    session_id: turn.sessionId,
    ai_message: turn.reply.content,
    topic_completed: turn.topicCompleted,
    timestamp: turn.reply.createdAt.toISOString(),
    message_id: turn.reply.id,
    user_message_id: turn.learnerMessage.id,
    progress: presentProgress(turn.progress),
  };
}

function presentProgress(progress: SessionProgress) {
  return {
    questions_asked: progress.asked,
    graded_answers: progress.graded,
    correct_answers: progress.correct,
    recent_graded: progress.recentGraded,
    recent_correct: progress.recentCorrect,
    pass_correct: progress.rule.passCorrect,
    question_count: progress.rule.questionCount,
    passed: progress.passed,
  };
}

function presentMessage(message: MessageRow) {
  return {
    id: message.id,
    role: message.role === 'user' ? ('user' as const) : ('assistant' as const),
    content: message.content,
    timestamp: message.createdAt.toISOString(),
  };
}
