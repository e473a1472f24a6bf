/** Days after a topic's completion at which it is due for review: the first review a day after, the last a month after. */
export const reviewIntervalsDays = [1, 3, 7, 14, 30] as const;

const dayMs = 86_400_000;

/** What the learner has done in one topic of the course. */
export interface TopicRecord {
  topicId: number;
  /** When they first completed it; null when they have not. */
  completedAt: Date | null;
  /** When each of their sessions on it started. */
  sessionStarts: Date[];
  /** When each of their sessions on it in which they answered a question started. */
  answeredStarts: Date[];
  /** Wrong answers in their sessions on it. */
  wrongAnswers: number;
}

export interface CourseTopic {
  id: number;
  title: string;
  requires: number[];
}

export type NextReason = 'prerequisite' | 'struggle' | 'review' | 'new' | 'done';

export interface NextTopic {
  topic: CourseTopic | null;
  reason: NextReason;
  /** For a prerequisite: the topic it unlocks. */
  forTopic?: CourseTopic;
  /** For a review: which one (1 to 5) and when it fell due. */
  review?: { number: number; dueAt: Date };
  /** For a struggle: the wrong answers given. */
  wrongAnswers?: number;
  /** With nothing to do now: when the next review falls due; null when none is left. */
  nextReviewAt?: Date | null;
}

// Two wrong answers in a topic not yet completed is a struggle, as the tutor's learner context counts it.
const struggleMistakes = 2;

/**
 * What the learner should study next in the course, in this order:
 * 1. a prerequisite (`requires`) not completed of a topic they have started;
 * 2. a topic they have struggled in (most wrong answers first) and not completed;
 * 3. a completed topic due for review, at the intervals after its completion (the most overdue first);
 * 4. the first topic in course order not completed whose prerequisites are;
 * otherwise nothing (`done`), with when the next review falls due.
 */
export function nextTopic(topics: readonly CourseTopic[], records: readonly TopicRecord[], now: Date): NextTopic {
  const recordOf = new Map(records.map((record) => [record.topicId, record]));
  const byId = new Map(topics.map((topic) => [topic.id, topic]));
  const completed = (id: number) => Boolean(recordOf.get(id)?.completedAt);
  const unmet = (topic: CourseTopic) => firstUnmetPrerequisite(topic, byId, completed);

  for (const topic of topics) {
    const record = recordOf.get(topic.id);
    const prerequisite = record && !record.completedAt && record.sessionStarts.length > 0 ? unmet(topic) : undefined;
    if (prerequisite) return { topic: prerequisite, reason: 'prerequisite', forTopic: topic };
  }

  const struggles = topics
    .map((topic) => ({ topic, wrong: recordOf.get(topic.id)?.wrongAnswers ?? 0 }))
    .filter(({ topic, wrong }) => !completed(topic.id) && wrong >= struggleMistakes && !unmet(topic))
    .sort((a, b) => b.wrong - a.wrong);
  if (struggles[0]) return { topic: struggles[0].topic, reason: 'struggle', wrongAnswers: struggles[0].wrong };

  const reviews = topics.flatMap((topic) => {
    const review = nextReview(recordOf.get(topic.id));
    return review ? [{ topic, ...review }] : [];
  });
  const due = reviews.filter((review) => review.dueAt <= now).sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime());
  if (due[0]) return { topic: due[0].topic, reason: 'review', review: { number: due[0].number, dueAt: due[0].dueAt } };

  const fresh = topics.find((topic) => !completed(topic.id) && !unmet(topic));
  if (fresh) return { topic: fresh, reason: 'new' };

  const upcoming = reviews.map((review) => review.dueAt).sort((a, b) => a.getTime() - b.getTime());
  return { topic: null, reason: 'done', nextReviewAt: upcoming[0] ?? null };
}

/**
 * The topic's next review: its number and when it falls due; undefined when not completed or every review is done.
 * Reviews fall due at the intervals after the completion; a session with an answer after it is a review taken, which
 * covers every interval already due when it started (a late review is not followed by the ones it made up for).
 */
function nextReview(record: TopicRecord | undefined): { number: number; dueAt: Date } | undefined {
  if (!record?.completedAt) return undefined;
  const completedAt = record.completedAt.getTime();
  const reviews = record.answeredStarts.filter((start) => start.getTime() > completedAt);
  const lastReview = reviews.at(-1)?.getTime() ?? completedAt;
  const next = reviewIntervalsDays.findIndex((days) => completedAt + days * dayMs > lastReview);
  if (next === -1) return undefined;
  return { number: next + 1, dueAt: new Date(completedAt + reviewIntervalsDays[next]! * dayMs) };
}

/** The first prerequisite to study for `topic`: the deepest one not completed, in `requires` order. */
function firstUnmetPrerequisite(topic: CourseTopic, byId: Map<number, CourseTopic>, completed: (id: number) => boolean, seen = new Set<number>()): CourseTopic | undefined {
  seen.add(topic.id);
  for (const id of topic.requires) {
    const required = byId.get(id);
    if (!required || completed(id) || seen.has(id)) continue;
    return firstUnmetPrerequisite(required, byId, completed, seen) ?? required;
  }
  return undefined;
}
