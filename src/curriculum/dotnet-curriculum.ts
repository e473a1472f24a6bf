import type { Logger } from 'pino';
import { enqueue } from '../db/outbox.js';
import { AppError } from '../errors.js';
import type { CompletionRecorder, Curriculum } from './curriculum.js';
import { objectivesFromText } from './objectives.js';
import { DotnetError, type DotnetClient } from './dotnet-client.js';

/** The curriculum source when DOTNET_API_URL is set: topics and learner context from the .NET backend. */
export function createDotnetCurriculum(client: DotnetClient, log: Logger, retryAfterSeconds: number): Curriculum {
  return {
    source: 'dotnet',
    // The .NET contract reads a topic by its id; it has no call that lists courses or a course's topics.
    listCourses: async () => undefined,
    async findTopic(topicId) {
      let topic;
      try {
        topic = await client.getTopic(topicId);
      } catch (error) {
        log.error({ err: error, topicId }, 'Failed to fetch the topic from the .NET API');
        throw new AppError('dependency_unavailable', 'The training backend is unavailable right now; please try again shortly.', {
          retryAfterSeconds,
        });
      }
      if (!topic) return undefined;
      return {
        id: topic.id,
        courseId: topic.courseid,
        courseTitle: topic.coursetitle,
        title: topic.title,
        description: topic.description ?? '',
        learningObjectives: topic.learningobjectives ?? '',
        objectives: objectivesFromText(topic.learningobjectives ?? ''),
        mastery: null,
        requires: [],
        language: null,
        explanation: null,
        promptTemplate: topic.prompttemplate ?? null,
        questions: [],
      };
    },
    async learnerContext(userId) {
      try {
        const context = await client.getUserContext(userId);
        return {
          level: context.userLevel,
          // The backend gives ids only; the tutor still learns how much the learner has done.
          completedTopics: context.completedTopicIds.map((id) => `topic #${id}`),
          struggles: context.struggleTopics,
          ...(context.language ? { language: context.language } : {}),
        };
      } catch (error) {
        const reason = error instanceof DotnetError ? error.message : (error as Error).message;
        log.warn({ userId, reason }, 'Failed to fetch user context from .NET API: the session starts with default context');
        return { level: 'beginner', completedTopics: [], struggles: [] };
      }
    },
  };
}

/**
 * With the .NET backend, a completed topic is queued in the outbox, in the completing transaction, and delivered by
 * the dispatcher (src/outbox/dispatcher.ts) in the backend's contract.
 */
export const dotnetCompletions: CompletionRecorder = {
  record: (tx, completion) =>
    enqueue(tx, completion.sessionId, {
      UserId: completion.userId,
      TopicId: completion.topicId,
      CourseId: completion.courseId,
      CompletedAt: completion.completedAt.toISOString(),
      SessionId: completion.sessionId,
    }),
};
