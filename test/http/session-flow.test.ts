import { and, count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatMessages } from '../../src/db/schema.js';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import { expectProblem, newUserId, say, sendMessage, startSession } from '../support/requests.js';

// Answers to the sample topic 5's questions, in the order the offline tutor asks them.
const right = ['string', 'integer', 'float', '7'];
const wrong = 'a banana';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t?.close());

const getSession = async (id: number) => (await t.app.inject({ url: `/api/sessions/${id}` })).json();

describe('starting a session', () => {
  it("answers 201 with the seed's fields and the tutor's opening message", async () => {
    const userId = newUserId();
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/sessions/start',
      payload: { user_id: userId, topic_id: 5, course_id: 2 },
    });
    expect(response.statusCode).toBe(201);
    const body = response.json();
    expect(body).toMatchObject({ user_id: userId, topic_id: 5, course_id: 2, status: 'active', completed_at: null });
    expect(body.id).toBeGreaterThan(0);
    expect(body.started_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(body.initial_message).toContain('Variables and Data Types');
    expect(body.initial_message).toContain('beginner');
    expect(body.initial_message).toContain('Which data type would you use to store a piece of text');
  });

  it('snapshots the context: level, titles, objectives', async () => {
    const { id } = await startSession(t.app);
    const details = await getSession(id);
    expect(details.context).toEqual({
      user_level: 'beginner',
      course_title: 'Introduction to Programming',
      topic_title: 'Variables and Data Types',
      learning_objectives: 'Understand variables, data types, and assignments',
      completed_topics: [],
      struggles: [],
    });
  });
});

describe('a session with the offline tutor', () => {
  it('completes exactly when 2 of the last 3 answers are correct', async () => {
    const { id } = await startSession(t.app);
    const first = await say(t.app, id, right[0]!);
    expect(first.topic_completed).toBe(false);
    expect(first.ai_message).toMatch(/^Correct!/);
    expect(first.ai_message).toContain('What data type is the number 42?');

    const second = await say(t.app, id, 'It is an INTEGER.');
    expect(second.topic_completed).toBe(true);
    expect(second.ai_message).toContain('you have completed "Variables and Data Types"');

    const details = await getSession(id);
    expect(details.status).toBe('completed');
    expect(Date.parse(details.completed_at)).toBeGreaterThanOrEqual(Date.parse(details.started_at));
  });

  it('does not complete at 1 of the last 3, and completes once the window holds 2', async () => {
    const { id } = await startSession(t.app);
    // right, wrong, wrong: 1 of 3. Then right: the window is wrong, wrong, right: still 1.
    expect((await say(t.app, id, right[0]!)).topic_completed).toBe(false);
    const miss = await say(t.app, id, wrong);
    expect(miss.ai_message).toMatch(/^Not quite\. The answer I was looking for is "integer"\. It is a whole number/);
    expect((await say(t.app, id, wrong)).topic_completed).toBe(false);
    expect((await say(t.app, id, right[3]!)).topic_completed).toBe(false);
    // The bank is exhausted: the tutor asks the question asked longest ago, and the window becomes wrong, right, right.
    const last = await say(t.app, id, right[0]!);
    expect(last.topic_completed).toBe(true);
  });

  it('gives a hint without grading, then grades the answer', async () => {
    const { id } = await startSession(t.app);
    const hint = await say(t.app, id, "I don't know, can I have a hint?");
    expect(hint.ai_message).toContain("Here's a hint: It is a sequence of characters");
    expect(hint.ai_message).toContain('Now, back to the question: Which data type would you use');
    expect((await say(t.app, id, wrong)).topic_completed).toBe(false);
    expect((await say(t.app, id, right[1]!)).topic_completed).toBe(false);
    // Only graded answers count: hint, wrong, right, right → the window is wrong, right, right.
    expect((await say(t.app, id, right[2]!)).topic_completed).toBe(true);
  });

  it("answers the learner's own question from the material and keeps the question pending", async () => {
    const { id } = await startSession(t.app);
    const turn = await say(t.app, id, 'Can you explain what variables are?');
    expect(turn.ai_message).toMatch(/^Great question! A variable is like a container/);
    expect(turn.ai_message).toContain('Now, back to the question: Which data type would you use');
    expect((await say(t.app, id, right[0]!)).ai_message).toMatch(/^Correct!/);
  });

  it('refuses messages once the session is completed, and changes nothing', async () => {
    const { id } = await startSession(t.app);
    await say(t.app, id, right[0]!);
    await say(t.app, id, right[1]!);
    const before = await getSession(id);
    expectProblem(await sendMessage(t.app, id, 'one more'), 409, 'session_not_active');
    expect(await getSession(id)).toEqual(before);
  });

  it('records progress: the next session knows the completed topic, and the level rises', async () => {
    const userId = newUserId();
    for (const [topicId, answers] of [
      [5, right],
      [6, ['if', 'else']],
    ] as const) {
      const { id } = await startSession(t.app, { user_id: userId, topic_id: topicId });
      await say(t.app, id, answers[0]!);
      expect((await say(t.app, id, answers[1]!)).topic_completed).toBe(true);
    }
    const third = await startSession(t.app, { user_id: userId, topic_id: 7 });
    expect(third.initial_message).toContain('You have already completed Variables and Data Types, Conditional Statements');
    expect((await getSession(third.id)).context).toMatchObject({
      user_level: 'intermediate',
      completed_topics: ['Variables and Data Types', 'Conditional Statements'],
    });
  });

  it('remembers struggles: two wrong answers in a topic', async () => {
    const userId = newUserId();
    const { id } = await startSession(t.app, { user_id: userId });
    await say(t.app, id, wrong);
    await say(t.app, id, wrong);
    const next = await startSession(t.app, { user_id: userId, topic_id: 6 });
    expect((await getSession(next.id)).context.struggles).toEqual(['Variables and Data Types']);
    expect(next.initial_message).toContain('Variables and Data Types gave you some trouble before');
  });
});

describe('reading a session', () => {
  it('writes stored times as ISO 8601 UTC with milliseconds, whatever their fraction of a second', async () => {
    const { id } = await startSession(t.app);
    const [opening] = await t.testDatabase.database.db.select({ id: chatMessages.id }).from(chatMessages).where(and(eq(chatMessages.sessionId, id), eq(chatMessages.role, 'assistant')));
    // PostgreSQL writes a timestamp's fraction with its trailing zeros dropped, or none at all.
    for (const [stored, shown] of [
      ['2026-03-04 05:06:07+00', '2026-03-04T05:06:07.000Z'],
      ['2026-03-04 05:06:07.5+00', '2026-03-04T05:06:07.500Z'],
      ['2026-03-04 05:06:07.12+00', '2026-03-04T05:06:07.120Z'],
      ['2026-03-04 05:06:07.123456+00', '2026-03-04T05:06:07.123Z'],
      ['2026-12-31 23:59:59.999999-02', '2027-01-01T01:59:59.999Z'],
    ]) {
      await t.testDatabase.database.db.update(chatMessages).set({ createdAt: sql`${stored}::timestamptz` }).where(eq(chatMessages.id, opening!.id));
      expect((await getSession(id)).messages[0].timestamp, stored).toBe(shown);
    }
  });

  it('returns the conversation in order, without system messages', async () => {
    const { id } = await startSession(t.app);
    const hinted = await say(t.app, id, 'hint');
    await say(t.app, id, right[0]!);
    const details = await getSession(id);
    expect(details.messages.map((m: { role: string }) => m.role)).toEqual(['assistant', 'user', 'assistant', 'user', 'assistant']);
    expect(details.messages.map((m: { content: string }) => m.content).slice(1, 4)).toEqual([
      'hint',
      expect.stringContaining("Here's a hint"),
      'string',
    ]);
    const ids = details.messages.map((m: { id: number }) => m.id);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    // The GET writes the times the turn answered with, to the same millisecond and in the same form.
    expect(details.messages.find((m: { id: number }) => m.id === hinted.message_id).timestamp).toBe(hinted.timestamp);

    // The system prompt is stored (it is the session's stable prompt prefix) but never shown.
    const stored = await t.testDatabase.database.db
      .select({ n: count() })
      .from(chatMessages)
      .where(and(eq(chatMessages.sessionId, id), eq(chatMessages.role, 'system')));
    expect(stored).toEqual([{ n: 1 }]);
  });
});
