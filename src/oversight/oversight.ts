import type { Db } from '../db/client.js';
import {
  learnerSpending,
  learnerTopicMistakes,
  mostMissedQuestions,
  overseenSessions,
  sessionQuestions,
  sessionTranscriptMessages,
  topicFigures,
  usageBy,
  type OverseenSession,
  type SessionFilter,
  type UsageGroup,
} from '../db/oversight.js';
import { listFlags, resolveFlag, type FlagRow } from '../db/safety-flags.js';
import { AppError } from '../errors.js';

/** What the caller may see: every course, or a teacher's. */
export type Scope = { all: true } | { all: false; courseIds: number[] };

export interface Page<T> {
  items: T[];
  nextBefore: number | null;
}

// A learner with this many wrong answers in a topic struggles with it (the local catalog's learner context says so too).
const struggleMistakes = 2;
// The questions listed per topic as the most often answered wrong.
const missedPerTopic = 3;

const inScope = (scope: Scope): Pick<SessionFilter, 'courseIds'> => (scope.all ? {} : { courseIds: scope.courseIds });

/** A page of `limit` from a read that was asked for one more: the extra row says whether a page follows. */
function paged<T>(rows: T[], limit: number, keyOf: (row: T) => number): Page<T> {
  const items = rows.slice(0, limit);
  return { items, nextBefore: rows.length > limit ? keyOf(items.at(-1)!) : null };
}

export type Oversight = ReturnType<typeof createOversight>;

/** What teachers and admins read across learners: sessions, transcripts, learners, topic analytics, usage. */
export function createOversight(db: Db) {
  const sessionInScope = async (scope: Scope, sessionId: number): Promise<OverseenSession> => {
    const [session] = await overseenSessions(db, { ...inScope(scope), sessionId }, 1);
    if (!session) throw new AppError('session_not_found', `Session ${sessionId} does not exist.`);
    return session;
  };

  return {
    async sessions(scope: Scope, filter: Omit<SessionFilter, 'courseIds' | 'sessionId'>, limit: number, before?: number): Promise<Page<OverseenSession>> {
      return paged(await overseenSessions(db, { ...filter, ...inScope(scope) }, limit + 1, before), limit, (session) => session.id);
    },

    /** A session and its transcript: the conversation, and each question with its expected answer and grade. */
    async transcript(scope: Scope, sessionId: number) {
      const session = await sessionInScope(scope, sessionId);
      const [messages, questions, flags] = await Promise.all([
        sessionTranscriptMessages(db, sessionId),
        sessionQuestions(db, sessionId),
        listFlags(db, { sessionId }, 1000),
      ]);
      return { session, messages, questions, flags };
    },

    /** A learner, as far as the scope's courses show them; 404 when they have no session there. */
    async learner(scope: Scope, userId: number) {
      const courses = inScope(scope);
      const [sessions, mistakes, spending, flags] = await Promise.all([
        overseenSessions(db, { ...courses, userId }, 1000),
        learnerTopicMistakes(db, userId, courses.courseIds),
        learnerSpending(db, userId, courses.courseIds),
        listFlags(db, { ...courses, userId }, 100),
      ]);
      if (sessions.length === 0) throw new AppError('learner_not_found', `Learner ${userId} has no session${scope.all ? '' : ' in your courses'}.`);
      const completed = new Map<number, OverseenSession>();
      for (const session of sessions) if (session.status === 'completed' && !completed.has(session.topicId)) completed.set(session.topicId, session);
      return {
        userId,
        topicsCompleted: [...completed.values()],
        struggles: mistakes.filter((topic) => topic.wrong >= struggleMistakes),
        sessions,
        spending,
        flags,
      };
    },

    /** Safety flags newest first, in the scope's courses. */
    async flags(scope: Scope, filter: { status?: FlagRow['status']; courseId?: number; userId?: number }, limit: number, before?: number): Promise<Page<FlagRow>> {
      return paged(await listFlags(db, { ...filter, ...inScope(scope) }, limit + 1, before), limit, (flag) => flag.id);
    },

    /** Resolves a flag of the scope's courses; 404 for any other. */
    async resolveFlag(scope: Scope, flagId: number, by: string): Promise<FlagRow> {
      const resolved = await resolveFlag(db, flagId, by, inScope(scope).courseIds);
      if (!resolved) throw new AppError('flag_not_found', `Flag ${flagId} does not exist${scope.all ? '' : ' in your courses'}.`);
      return resolved;
    },

    /** Per topic of the scope's courses (or of one course): sessions and their outcomes, pace, hints, missed questions. */
    async topicAnalytics(scope: Scope, courseId?: number) {
      if (courseId !== undefined && !scope.all && !scope.courseIds.includes(courseId)) {
        throw new AppError('course_not_found', `Course ${courseId} is not one of your courses.`);
      }
      const filter: SessionFilter = { ...inScope(scope), courseId };
      const [figures, missed] = await Promise.all([topicFigures(db, filter), mostMissedQuestions(db, filter, missedPerTopic)]);
      return figures.map((topic) => ({
        ...topic,
        completionRate: topic.started === 0 ? 0 : topic.completed / topic.started,
        abandonmentRate: topic.started === 0 ? 0 : topic.abandoned / topic.started,
        mostMissedQuestions: missed.filter((question) => question.topicId === topic.topicId && question.courseId === topic.courseId),
      }));
    },

    /** Tokens and cost per learner, course or model, over a time range. */
    async usage(group: UsageGroup, range: { from?: Date; to?: Date }, limit: number, before?: number) {
      const rows = await usageBy(db, group, range, limit + 1, before);
      if (group === 'model') return { items: rows, nextBefore: null };
      return paged(rows, limit, (row) => row.key as number);
    },
  };
}
