import { describe, expect, it } from 'vitest';
import { nextTopic, type CourseTopic, type TopicRecord } from '../../src/tutoring/next-topic.js';

const topics: CourseTopic[] = [
  { id: 1, title: 'Variables', requires: [] },
  { id: 2, title: 'Conditions', requires: [1] },
  { id: 3, title: 'Loops', requires: [2] },
  { id: 4, title: 'Functions', requires: [] },
];
const now = new Date('2026-12-06T12:00:00Z');
const daysAgo = (days: number) => new Date(now.getTime() - days * 86_400_000);
// Unless a test says otherwise, the learner answered in every session.
const record = (topicId: number, extra: Partial<TopicRecord> = {}): TopicRecord => {
  const sessionStarts = extra.sessionStarts ?? [daysAgo(40)];
  return { topicId, completedAt: null, sessionStarts, answeredStarts: sessionStarts, wrongAnswers: 0, ...extra };
};

describe('what to study next', () => {
  it('a new learner: the first topic in course order', () => {
    expect(nextTopic(topics, [], now)).toMatchObject({ topic: { id: 1 }, reason: 'new' });
  });

  it('a topic started before its prerequisites: the deepest prerequisite not completed first', () => {
    expect(nextTopic(topics, [record(3)], now)).toEqual({ topic: topics[0], reason: 'prerequisite', forTopic: topics[2] });
    expect(nextTopic(topics, [record(1, { completedAt: daysAgo(40) }), record(3)], now)).toMatchObject({
      topic: { id: 2 },
      reason: 'prerequisite',
      forTopic: { id: 3 },
    });
  });

  it('then a topic struggled in and not completed, the most wrong answers first', () => {
    const records = [record(1, { completedAt: daysAgo(40), sessionStarts: [daysAgo(40), daysAgo(39), daysAgo(37), daysAgo(33), daysAgo(26), daysAgo(10)] }), record(2, { wrongAnswers: 2 }), record(4, { wrongAnswers: 3 })];
    expect(nextTopic(topics, records, now)).toEqual({ topic: topics[3], reason: 'struggle', wrongAnswers: 3 });
    // One wrong answer is a slip, not a struggle: the next new topic instead.
    expect(nextTopic(topics, [record(1, { completedAt: daysAgo(40), sessionStarts: records[0]!.sessionStarts }), record(2, { wrongAnswers: 1 })], now)).toMatchObject({
      topic: { id: 2 },
      reason: 'new',
    });
  });

  it('then a completed topic due for review, at 1, 3, 7, 14 and 30 days after its completion', () => {
    const completedAt = daysAgo(2);
    // Completed 2 days ago, no review taken: the first review fell due a day after.
    expect(nextTopic(topics, [record(1, { completedAt, sessionStarts: [daysAgo(2)] })], now)).toEqual({
      topic: topics[0],
      reason: 'review',
      review: { number: 1, dueAt: daysAgo(1) },
    });
    // One review taken since: the second falls due at 3 days, tomorrow; meanwhile the next new topic.
    const reviewed = record(1, { completedAt, sessionStarts: [daysAgo(2), daysAgo(1)] });
    expect(nextTopic(topics, [reviewed], now)).toMatchObject({ topic: { id: 2 }, reason: 'new' });
    // At its edge: due exactly now.
    expect(nextTopic(topics, [record(1, { completedAt: daysAgo(3), sessionStarts: [daysAgo(3), daysAgo(2)] })], now)).toMatchObject({
      reason: 'review',
      review: { number: 2, dueAt: now },
    });
  });

  it('counts as a review only a session with an answer, and a late review makes up for the intervals it passed', () => {
    const completedAt = daysAgo(20);
    // Two sessions opened and left without an answer: the first review is still owed.
    const idle = record(1, { completedAt, sessionStarts: [daysAgo(20), daysAgo(19), daysAgo(18)], answeredStarts: [daysAgo(20)] });
    expect(nextTopic(topics, [idle], now)).toMatchObject({ reason: 'review', review: { number: 1, dueAt: daysAgo(19) } });
    // One review, late (day 19): the reviews at 3, 7 and 14 days are not owed after it; the next is at 30 days.
    const late = record(1, { completedAt, sessionStarts: [daysAgo(20), daysAgo(1)] });
    expect(nextTopic(topics.slice(0, 1), [late], now)).toEqual({ topic: null, reason: 'done', nextReviewAt: new Date(completedAt.getTime() + 30 * 86_400_000) });
  });

  it('nothing to do: done, with when the next review falls due; none after the fifth', () => {
    const allDone = topics.map((topic) => record(topic.id, { completedAt: daysAgo(2), sessionStarts: [daysAgo(2), daysAgo(1)] }));
    expect(nextTopic(topics, allDone, now)).toEqual({ topic: null, reason: 'done', nextReviewAt: new Date(daysAgo(2).getTime() + 3 * 86_400_000) });
    const reviewedFiveTimes = topics.map((topic) => record(topic.id, { completedAt: daysAgo(40), sessionStarts: [daysAgo(40), daysAgo(39), daysAgo(37), daysAgo(33), daysAgo(26), daysAgo(10)] }));
    expect(nextTopic(topics, reviewedFiveTimes, now)).toEqual({ topic: null, reason: 'done', nextReviewAt: null });
  });
});
