import type { Db } from '../db/client.js';
import { completedTopicIds, insertTopicCompletion, struggledTopicTitles } from '../db/progress.js';
import type { Catalog } from './catalog-file.js';
import type { CompletionRecorder, Curriculum } from './curriculum.js';

// A learner's level follows how many topics they have passed; the thresholds suit courses of a handful of topics.
const levels = [
  { level: 'advanced', minCompleted: 6 },
  { level: 'intermediate', minCompleted: 2 },
  { level: 'beginner', minCompleted: 0 },
] as const;

// One wrong answer is a slip; two in the same topic is worth telling the tutor about.
const struggleMistakes = 2;

/** The curriculum source used without a .NET backend: topics from YAML, learner progress in our own database. */
export function createLocalCurriculum({ courses, topics }: Catalog, db: Db): Curriculum {
  return {
    source: 'local',
    findTopic: async (topicId) => topics.get(topicId),
    listCourses: async () => courses,
    async learnerContext(userId) {
      const [completedIds, struggles] = await Promise.all([
        completedTopicIds(db, userId),
        struggledTopicTitles(db, userId, struggleMistakes),
      ]);
      const level = levels.find((entry) => completedIds.length >= entry.minCompleted)?.level ?? 'beginner';
      const completedTopics = completedIds.map((id) => topics.get(id)?.title ?? `Topic ${id}`);
      return { level, completedTopics, struggles };
    },
  };
}

/** Without a .NET backend, a completed topic is recorded in the service's own progress table. */
export const localCompletions: CompletionRecorder = { record: (tx, completion) => insertTopicCompletion(tx, completion) };
