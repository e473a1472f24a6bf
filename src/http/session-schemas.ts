import { canonicalLanguage } from '../language.js';
import { z } from 'zod';

// PostgreSQL `integer` ids: a larger number can name no row, so it is invalid input rather than a 404.
export const id = z.number().int().positive().max(2147483647);
export const timestamp = z.iso.datetime().describe('ISO 8601, UTC');

/**
 * An id as a path or query string spells it: decimal digits with no sign, leading zero, space or exponent, so that
 * one session has one URL (and `0x1`, `1e0`, `+1` or `00001` are not aliases of session 1).
 */
export const idText = z
  .string()
  .regex(/^[1-9][0-9]{0,9}$/, 'must be a positive integer written in decimal digits, with no sign, leading zero or space')
  .transform(Number)
  .pipe(id);

export const sessionIdParams = z.strictObject({ id: idText.describe('Session id') });

export const startBody = z
  .strictObject({
    user_id: id.describe('Learner id, as the training platform knows it'),
    topic_id: id.describe('Topic to learn'),
    course_id: id.describe('Course the topic belongs to'),
    language: z
      .string()
      .max(35)
      .refine((tag) => canonicalLanguage(tag) !== undefined, 'must be a language tag (BCP 47) such as en or pt-BR')
      .transform((tag) => canonicalLanguage(tag)!)
      .optional()
      .describe("The language to teach in (BCP 47); unset: the learner's (.NET context), the course's, then DEFAULT_LANGUAGE"),
  })
  .meta({ id: 'StartSessionRequest' });

export const sessionSchema = z
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

export const startedSchema = sessionSchema
  .extend({ initial_message: z.string().describe("The tutor's opening message"), language: z.string().describe('The language the session teaches in (BCP 47)') })
  .meta({ id: 'StartedSession' });

export function messageBodySchema(maxLength: number) {
  return z
    .strictObject({
      message: z
        .string()
        // Unpaired UTF-16 surrogates are no text: stored, they would become replacement characters.
        .refine((text) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text), 'must be valid Unicode text')
        // Nothing to answer once white space, invisible characters (zero-width spaces, joiners, BOMs, blank
        // fillers) and marks with nothing to mark are removed.
        .refine((text) => text.replace(/[\s\p{Default_Ignorable_Code_Point}\p{M}\u2800]/gu, '').length > 0, 'must not be empty, only white space or invisible characters')
        .refine((text) => [...text].length <= maxLength, `must be at most ${maxLength} characters`)
        // NUL cannot be stored in PostgreSQL text, and other control characters (C0 and C1) have no place in a chat
        // message; line breaks and tabs do.
        // eslint-disable-next-line no-control-regex -- matching control characters is the point
        .refine((text) => !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/.test(text), 'must not contain control characters')
        .describe(`The learner's message, 1 to ${maxLength} characters`),
    })
    .meta({ id: 'SendMessageRequest' });
}

export const progressSchema = z
  .object({
    questions_asked: z.number().int(),
    graded_answers: z.number().int(),
    correct_answers: z.number().int(),
    recent_graded: z.number().int().describe('Graded answers the pass rule looks at: the last question_count'),
    recent_correct: z.number().int().describe('Correct answers among them'),
    pass_correct: z.number().int(),
    question_count: z.number().int(),
    passed: z.boolean().describe('Whether the topic is passed: the rule met and, with mastery_threshold, every objective at it'),
    mastery_threshold: z.number().nullable().describe('MASTERY_THRESHOLD: every objective must reach it too; null: the gate is off'),
    objectives: z
      .array(
        z.object({
          id: z.string(),
          text: z.string(),
          mastery: z.number().describe('The probability that the learner knows it (Bayesian Knowledge Tracing)'),
          attempts: z.number().int().describe('Graded answers to questions that check it, in every session of the learner'),
          correct_answers: z.number().int(),
        }),
      )
      .describe("The topic's objectives, with the learner's mastery of each"),
  })
  .meta({
    id: 'Progress',
    description: 'The topic is passed at pass_correct correct of the last question_count graded answers, and every objective at mastery_threshold when it is set',
  });

export const usageSchema = z
  .object({
    prompt_tokens: z.number().int(),
    output_tokens: z.number().int(),
    cached_tokens: z.number().int().describe('Prompt tokens served from the provider cache, included in prompt_tokens'),
    total_tokens: z.number().int(),
  })
  .meta({ id: 'Usage', description: 'LLM tokens of the session: tutor replies and grading calls' });

export const turnSchema = z
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

export const messageSchema = z
  .object({ id, role: z.enum(['user', 'assistant']), content: z.string(), timestamp })
  .meta({ id: 'Message' });

export const detailsSchema = sessionSchema
  .extend({
    initial_message: z.string().describe("The tutor's opening message, as POST /api/sessions/start answered it"),
    language: z.string().describe('The language the session teaches in (BCP 47)'),
    context: z.object({
      user_level: z.string(),
      course_title: z.string(),
      topic_title: z.string(),
      learning_objectives: z.string(),
      completed_topics: z.array(z.string()),
      struggles: z.array(z.string()),
    }),
    messages: z.array(messageSchema).describe('The conversation in order (or the page asked for); system messages are never shown'),
    next_before: id.nullable().describe('With `limit`: the `before` of the page of older messages; null when there are none'),
    progress: progressSchema,
    usage: usageSchema,
    progress_sync: z
      .enum(['pending', 'delivered', 'dead'])
      .nullable()
      .describe('Delivery of the completion to the .NET backend; null without a backend or before completion'),
  })
  .meta({ id: 'SessionDetails' });
