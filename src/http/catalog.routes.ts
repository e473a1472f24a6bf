import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Course, Curriculum, Topic } from '../curriculum/curriculum.js';
import { AppError } from '../errors.js';
import { problemResponses } from './errors.js';
import { id, idText } from './session-schemas.js';

const courseSummary = z
  .object({ id, title: z.string(), description: z.string().nullable(), topic_count: z.number().int() })
  .meta({ id: 'CourseSummary' });

const topicSchema = z
  .object({
    id,
    course_id: id,
    course_title: z.string(),
    title: z.string(),
    description: z.string(),
    learning_objectives: z.string(),
    objectives: z.array(z.object({ id: z.string(), text: z.string() })).describe('The learning objectives as data, each tracked for mastery'),
    requires: z.array(id).describe('Topics to complete before this one'),
    language: z.string().nullable().describe("The course's language (BCP 47); null when the catalog names none"),
    question_count: z.number().int().describe("Questions in the topic's bank (none from the .NET backend)"),
  })
  .meta({ id: 'Topic', description: 'A topic as learners choose it: never its answers or hints' });

const courseSchema = courseSummary.extend({ topics: z.array(topicSchema).describe('In the course’s order') }).meta({ id: 'Course' });

const summary = (course: Course) => ({ id: course.id, title: course.title, description: course.description, topic_count: course.topics.length });

const presentTopic = (topic: Topic) => ({
  id: topic.id,
  course_id: topic.courseId,
  course_title: topic.courseTitle,
  title: topic.title,
  description: topic.description,
  learning_objectives: topic.learningObjectives,
  objectives: topic.objectives,
  requires: topic.requires,
  language: topic.language,
  question_count: topic.questions.length,
});

/**
 * The catalog: which courses and topics a learner can start a session on. Any authenticated caller may read it.
 * With the .NET curriculum, a topic is read through the .NET client; listing courses is not part of its contract.
 */
export const catalogRoutes =
  (curriculum: Curriculum): FastifyPluginAsync =>
  async (app) => {
    const routes = app.withTypeProvider<ZodTypeProvider>();
    const courses = async () => {
      const all = await curriculum.listCourses();
      if (!all) {
        throw new AppError('not_supported_by_curriculum', 'The .NET curriculum lists no courses: ask the training platform for them, and start sessions by topic id.');
      }
      return all;
    };

    routes.get(
      '/api/courses',
      {
        schema: {
          tags: ['catalog'],
          summary: 'The courses of the catalog, in order',
          response: { 200: z.object({ courses: z.array(courseSummary) }).meta({ id: 'CourseList' }), ...problemResponses('unauthorized', 'not_supported_by_curriculum') },
        },
      },
      async () => ({ courses: (await courses()).map(summary) }),
    );

    routes.get(
      '/api/courses/:id',
      {
        schema: {
          tags: ['catalog'],
          summary: 'A course with its topics, in order',
          params: z.strictObject({ id: idText.describe('Course id') }),
          response: { 200: courseSchema, ...problemResponses('unauthorized', 'course_not_found', 'not_supported_by_curriculum') },
        },
      },
      async (request) => {
        const course = (await courses()).find((candidate) => candidate.id === request.params.id);
        if (!course) throw new AppError('course_not_found', `Course ${request.params.id} does not exist.`);
        return { ...summary(course), topics: course.topics.map(presentTopic) };
      },
    );

    routes.get(
      '/api/topics/:id',
      {
        schema: {
          tags: ['catalog'],
          summary: 'A topic',
          params: z.strictObject({ id: idText.describe('Topic id') }),
          response: { 200: topicSchema, ...problemResponses('unauthorized', 'topic_not_found', 'dependency_unavailable') },
        },
      },
      async (request) => {
        const topic = await curriculum.findTopic(request.params.id);
        if (!topic) throw new AppError('topic_not_found', `Topic ${request.params.id} does not exist.`);
        return presentTopic(topic);
      },
    );
  };
