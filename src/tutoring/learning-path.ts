import type { Course, Curriculum, Topic } from '../curriculum/curriculum.js';
import type { Db } from '../db/client.js';
import { learningRecord } from '../db/learning-record.js';
import { courseMastery } from '../db/mastery.js';
import { AppError } from '../errors.js';
import { masteryParams, objectiveStanding, type ObjectiveMastery } from './mastery.js';
import { nextTopic, type NextTopic } from './next-topic.js';

export interface TopicMastery {
  topic: Topic;
  completed: boolean;
  objectives: (ObjectiveMastery & { updatedAt: Date | null })[];
}

/** A learner's standing across a course: mastery of every objective, and what to study next. */
export function createLearningPath({ db, curriculum }: { db: Db; curriculum: Curriculum }) {
  /** The course, from a curriculum that lists courses; 404 when it has no such course, 501 when it lists none. */
  async function courseOf(courseId: number): Promise<Course> {
    const courses = await curriculum.listCourses();
    if (!courses) {
      throw new AppError('not_supported_by_curriculum', 'The .NET curriculum lists no course topics: what to study next needs the local catalog.');
    }
    const course = courses.find((candidate) => candidate.id === courseId);
    if (!course) throw new AppError('course_not_found', `Course ${courseId} does not exist.`);
    return course;
  }

  return {
    /**
     * The learner's mastery of each objective of the course's topics (at the prior where they have answered
     * nothing). With the .NET curriculum, which lists no course, the topics they have mastery records for.
     */
    async mastery(userId: number, courseId: number): Promise<TopicMastery[]> {
      const [records, learned, courses] = await Promise.all([courseMastery(db, userId, courseId), learningRecord(db, userId, courseId), curriculum.listCourses()]);
      let topics: Topic[];
      if (courses) {
        const course = courses.find((candidate) => candidate.id === courseId);
        if (!course) throw new AppError('course_not_found', `Course ${courseId} does not exist.`);
        topics = course.topics;
      } else {
        const found = await Promise.all([...new Set(records.map((record) => record.topicId))].map((id) => curriculum.findTopic(id)));
        topics = found.filter((topic): topic is Topic => topic !== undefined);
      }
      return topics.map((topic) => {
        const own = records.filter((record) => record.topicId === topic.id);
        return {
          topic,
          completed: Boolean(learned.find((record) => record.topicId === topic.id)?.completedAt),
          objectives: objectiveStanding(topic.objectives, own, masteryParams(topic.mastery)).map((entry) => ({
            ...entry,
            updatedAt: own.find((record) => record.objectiveId === entry.objective.id)?.updatedAt ?? null,
          })),
        };
      });
    },

    /** The topic the learner should study next in the course, and why (src/tutoring/next-topic.ts). */
    async next(userId: number, courseId: number, now: Date): Promise<NextTopic> {
      const [course, records] = await Promise.all([courseOf(courseId), learningRecord(db, userId, courseId)]);
      return nextTopic(course.topics, records, now);
    },
  };
}

export type LearningPath = ReturnType<typeof createLearningPath>;
