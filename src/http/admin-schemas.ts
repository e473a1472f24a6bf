import { z } from 'zod';
import { id, idText, sessionSchema, timestamp, usageSchema } from './session-schemas.js';

// The oversight routes' requests and responses (/api/admin/...).

/** RFC 3339: a date and time with its offset (Z or ±hh:mm), from 1970 to 9999 (what the database's times hold). */
const instant = z.iso
  .datetime({ offset: true })
  .transform((value) => new Date(value))
  .pipe(z.date().min(new Date('1970-01-01T00:00:00Z'), 'must be in 1970 or later').max(new Date('9999-12-31T23:59:59Z'), 'must be before the year 10000'))
  .describe('RFC 3339 date and time, such as 2026-12-01T00:00:00Z');

/** A count as a query string spells it: decimal digits only (no 1e2, 0x10 or +5). */
const count = (max: number, fallback: number) =>
  z
    .string()
    .regex(/^[0-9]{1,6}$/, 'must be a whole number written in decimal digits')
    .transform(Number)
    .pipe(z.number().int().min(1).max(max))
    .default(fallback);

export const pageQuery = {
  limit: count(100, 20).describe('Items per page, 1 to 100'),
  before: idText.optional().describe('The `next_before` of the previous page'),
};

export const rangeQuery = {
  from: instant.optional().describe('From this instant (inclusive)'),
  to: instant.optional().describe('Until this instant (exclusive)'),
};

/** `from` must come before `to`. */
const ordered = (query: { from?: Date; to?: Date }) => !query.from || !query.to || query.from < query.to;
const orderedMessage = { message: 'from must be before to', path: ['to'] };

export const sessionsQuery = z.strictObject({
  course_id: idText.optional(),
  topic_id: idText.optional(),
  user_id: idText.optional(),
  status: z.enum(['active', 'completed', 'abandoned']).optional(),
  flagged: z.stringbool({ truthy: ['true'], falsy: ['false'] }).optional().describe('Only sessions with open safety flags (true), or without (false)'),
  ...rangeQuery,
  ...pageQuery,
}).refine(ordered, orderedMessage);

export const flagsQuery = z.strictObject({
  status: z.enum(['open', 'resolved']).optional(),
  course_id: idText.optional(),
  user_id: idText.optional(),
  ...pageQuery,
});

export const exportQuery = z
  .strictObject({
    format: z.enum(['jsonl', 'csv']).default('jsonl'),
    course_id: idText.optional(),
    ...rangeQuery,
  })
  .refine(ordered, orderedMessage);

export const erasedSchema = z
  .object({ deleted: z.record(z.string(), z.number().int()).describe('Rows deleted, by table') })
  .meta({ id: 'Erasure' });

export const flagParams = z.strictObject({ id: idText.describe('Flag id') });

export const flagSchema = z
  .object({
    id,
    session_id: id,
    message_id: id.nullable().describe('The learner message that raised it'),
    user_id: id,
    course_id: id,
    category: z.enum(['self_harm', 'violence', 'sexual', 'harassment']),
    severity: z.enum(['low', 'medium', 'high']),
    source: z.enum(['rules', 'moderation']).describe('The offline rules, or the moderation endpoint'),
    status: z.enum(['open', 'resolved']),
    created_at: timestamp,
    resolved_at: timestamp.nullable(),
    resolved_by: z.string().nullable().describe('`admin`, or `user:<id>` for a token'),
  })
  .meta({ id: 'SafetyFlag' });

export const flagsPageSchema = z.object({ items: z.array(flagSchema), next_before: id.nullable() }).meta({ id: 'SafetyFlags' });

export const learnerParams = z.strictObject({ user_id: idText.describe('The learner’s id') });
export const analyticsQuery = z.strictObject({ course_id: idText.optional() });
export const usageQuery = z
  .strictObject({
    group_by: z.enum(['learner', 'course', 'model']),
    ...rangeQuery,
    limit: count(1000, 100).describe('Groups per page, 1 to 1000 (every model is listed at once)'),
    before: idText.optional().describe('The `next_before` of the previous page (learner and course groups)'),
  })
  .refine(ordered, orderedMessage);

export const spendingSchema = usageSchema
  .extend({
    cost_usd: z.number().nullable().describe('USD, from the price table; null when a call’s model has no price'),
    model_calls: z.number().int(),
  })
  .meta({ id: 'Spending', description: 'LLM tokens, cost and calls' });

export const overseenSessionSchema = sessionSchema
  .extend({
    course_title: z.string(),
    topic_title: z.string(),
    turns: z.number().int().describe('The learner’s messages'),
    open_flags: z.number().int().describe('Safety flags not yet resolved'),
    last_activity_at: timestamp,
    usage: spendingSchema,
  })
  .meta({ id: 'OverseenSession' });

const nextBefore = id.nullable().describe('The `before` of the next page; null when there is none');

export const sessionsPageSchema = z.object({ items: z.array(overseenSessionSchema), next_before: nextBefore }).meta({ id: 'OverseenSessions' });

export const transcriptSchema = overseenSessionSchema
  .extend({
    messages: z.array(
      z.object({
        id,
        role: z.enum(['user', 'assistant']),
        kind: z.enum(['answer', 'hint', 'question']).nullable().describe('A learner message as the turn took it; null for the tutor’s'),
        content: z.string(),
        timestamp,
      }),
    ),
    questions: z.array(
      z.object({
        id,
        question: z.string(),
        expected_answer: z.string(),
        accepted_answers: z.array(z.string()),
        status: z.enum(['pending', 'graded', 'skipped']),
        learner_answer: z.string().nullable(),
        correct: z.boolean().nullable(),
        feedback: z.string().nullable(),
        question_message_id: id.nullable(),
        answer_message_id: id.nullable(),
        asked_at: timestamp,
        graded_at: timestamp.nullable(),
      }),
    ),
    flags: z.array(flagSchema),
  })
  .meta({ id: 'Transcript' });

const topicRef = { topic_id: id, course_id: id, topic_title: z.string() };

export const learnerSchema = z
  .object({
    user_id: id,
    topics_completed: z.array(z.object({ ...topicRef, session_id: id, completed_at: timestamp })),
    struggles: z.array(z.object({ ...topicRef, wrong_answers: z.number().int(), graded_answers: z.number().int() })),
    sessions: z.array(overseenSessionSchema),
    usage: spendingSchema,
    flags: z.array(flagSchema).describe('The newest 100'),
  })
  .meta({ id: 'LearnerOverview' });

export const topicAnalyticsSchema = z
  .object({
    items: z.array(
      z.object({
        ...topicRef,
        sessions_started: z.number().int(),
        sessions_completed: z.number().int(),
        sessions_abandoned: z.number().int(),
        completion_rate: z.number().describe('Completed sessions over started ones'),
        abandonment_rate: z.number(),
        median_turns_to_completion: z.number().nullable(),
        median_minutes_to_completion: z.number().nullable(),
        hint_requests: z.number().int(),
        most_missed_questions: z.array(z.object({ question: z.string(), wrong_answers: z.number().int(), graded_answers: z.number().int() })),
      }),
    ),
  })
  .meta({ id: 'TopicAnalytics' });

export const usageReportSchema = z
  .object({
    group_by: z.enum(['learner', 'course', 'model']),
    items: z.array(
      spendingSchema.extend({
        user_id: id.optional(),
        course_id: id.optional(),
        model: z.string().nullable().optional().describe('Null for calls recorded before models were'),
      }),
    ),
    next_before: nextBefore,
  })
  .meta({ id: 'UsageReport' });
