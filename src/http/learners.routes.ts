import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../errors.js';
import type { LearningPath } from '../tutoring/learning-path.js';
import { problemResponses } from './errors.js';
import { id, idText } from './session-schemas.js';

const params = z.strictObject({ user_id: idText.describe('The learner') });
const query = z.strictObject({ course_id: idText.describe('The course') });

const objectiveSchema = z.object({
  id: z.string(),
  text: z.string(),
  mastery: z.number().describe('The probability that the learner knows it (Bayesian Knowledge Tracing); the prior before any answer'),
  attempts: z.number().int(),
  correct_answers: z.number().int(),
  updated_at: z.iso.datetime().nullable(),
});

const masterySchema = z
  .object({
    user_id: id,
    course_id: id,
    mastery_threshold: z.number().nullable().describe('MASTERY_THRESHOLD; null: the gate is off'),
    topics: z.array(z.object({ topic_id: id, title: z.string(), completed: z.boolean(), objectives: z.array(objectiveSchema) })),
  })
  .meta({ id: 'LearnerMastery' });

const topicRef = z.object({ id, title: z.string() });
const nextSchema = z
  .object({
    user_id: id,
    course_id: id,
    topic: topicRef.nullable().describe('The topic to study next; null when there is nothing to do now'),
    reason: z
      .enum(['prerequisite', 'struggle', 'review', 'new', 'done'])
      .describe(
        'prerequisite: a topic another they started requires; struggle: one they answered wrong in, not completed; review: a completed ' +
          'topic due for review; new: the next topic in course order; done: nothing now',
      ),
    for_topic: topicRef.nullable().describe('For a prerequisite: the topic it unlocks'),
    review: z.object({ number: z.number().int(), due_at: z.iso.datetime() }).nullable().describe('For a review: which (1 to 5) and when it fell due'),
    wrong_answers: z.number().int().nullable().describe('For a struggle: the wrong answers given in the topic'),
    next_review_at: z.iso.datetime().nullable().describe('With reason done: when the next review falls due; null when none is left'),
  })
  .meta({ id: 'NextTopic' });

/**
 * Who may read a learner's standing in a course: the learner themself, a teacher of the course, an admin, and the
 * service key (which acts for any learner). Decided from the verified principal and the route's parameters.
 */
function mayRead(request: FastifyRequest, userId: number, courseId: number): boolean {
  const { principal } = request;
  if (principal.kind !== 'user') return true;
  if (principal.role === 'admin' || principal.userId === userId) return true;
  return principal.role === 'teacher' && principal.courseIds.includes(courseId);
}

/** `GET /api/learners/{user_id}/mastery` and `/next`: a learner's mastery of a course's objectives, and what to study next. */
export const learnerRoutes =
  (path: LearningPath, masteryThreshold: number | undefined): FastifyPluginAsync =>
  async (app) => {
    const routes = app.withTypeProvider<ZodTypeProvider>();
    const guard = async (request: FastifyRequest<{ Params: z.infer<typeof params>; Querystring: z.infer<typeof query> }>) => {
      if (!mayRead(request, request.params.user_id, request.query.course_id)) {
        throw new AppError('forbidden', "Only the learner, a teacher of the course or an admin may read a learner's standing in it.");
      }
    };

    routes.get(
      '/api/learners/:user_id/mastery',
      {
        preHandler: guard,
        schema: {
          tags: ['learners'],
          summary: "The learner's mastery of each objective of the course's topics",
          params,
          querystring: query,
          response: { 200: masterySchema, ...problemResponses('unauthorized', 'forbidden', 'course_not_found') },
        },
      },
      async (request) => {
        const { user_id, course_id } = { ...request.params, ...request.query };
        const topics = await path.mastery(user_id, course_id);
        return {
          user_id,
          course_id,
          mastery_threshold: masteryThreshold ?? null,
          topics: topics.map(({ topic, completed, objectives }) => ({
            topic_id: topic.id,
            title: topic.title,
            completed,
            objectives: objectives.map(({ objective, probability, attempts, correct, updatedAt }) => ({
              id: objective.id,
              text: objective.text,
              mastery: probability,
              attempts,
              correct_answers: correct,
              updated_at: updatedAt?.toISOString() ?? null,
            })),
          })),
        };
      },
    );

    routes.get(
      '/api/learners/:user_id/next',
      {
        preHandler: guard,
        schema: {
          tags: ['learners'],
          summary: 'The topic the learner should study next in the course, and why',
          params,
          querystring: query,
          response: {
            200: nextSchema,
            ...problemResponses('unauthorized', 'forbidden', 'course_not_found', 'not_supported_by_curriculum'),
          },
        },
      },
      async (request) => {
        const { user_id, course_id } = { ...request.params, ...request.query };
        const next = await path.next(user_id, course_id, new Date());
        const ref = (topic: { id: number; title: string } | null | undefined) => (topic ? { id: topic.id, title: topic.title } : null);
        return {
          user_id,
          course_id,
          topic: ref(next.topic),
          reason: next.reason,
          for_topic: ref(next.forTopic),
          review: next.review ? { number: next.review.number, due_at: next.review.dueAt.toISOString() } : null,
          wrong_answers: next.wrongAnswers ?? null,
          next_review_at: next.reason === 'done' ? (next.nextReviewAt?.toISOString() ?? null) : null,
        };
      },
    );
  };
