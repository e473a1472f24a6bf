import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatMessages } from '../../src/db/schema.js';
import { systemPrompt } from '../../src/db/messages.js';
import { buildTestApp, fixtureCurriculumDir, type TestApp } from '../support/build-test-app.js';
import { say, startSession } from '../support/requests.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ CURRICULUM_DIR: fixtureCurriculumDir, PASS_CORRECT: '3', QUESTION_COUNT: '3' });
});
afterAll(() => t?.close());

const storedPrompt = async (sessionId: number) => (await systemPrompt(t.testDatabase.database.db, sessionId))!;

describe('the completion marker', () => {
  it('never reaches the learner, even when the tutor repeats material that contains it', async () => {
    const { id, initial_message } = await startSession(t.app, { course_id: 90, topic_id: 901 });
    const turn = await say(t.app, id, 'Why is that the order?');
    for (const text of [initial_message, turn.ai_message]) {
      expect(text).toContain('Alpha comes first, then beta, then gamma.');
      expect(text).not.toContain('{TOPIC_COMPLETED}');
    }
    const details = (await t.app.inject({ url: `/api/sessions/${id}` })).json();
    expect(JSON.stringify(details)).not.toContain('TOPIC_COMPLETED');
    expect(turn.topic_completed).toBe(false);
    expect(details.status).toBe('active');
  });
});

describe('PASS_CORRECT and QUESTION_COUNT', () => {
  it('3 of 3 needs three correct answers in a row', async () => {
    const { id } = await startSession(t.app, { course_id: 90, topic_id: 901 });
    expect((await say(t.app, id, 'alpha')).topic_completed).toBe(false);
    expect((await say(t.app, id, 'beta')).topic_completed).toBe(false);
    expect((await say(t.app, id, 'gamma')).topic_completed).toBe(true);
  });
});

describe('prompt templates', () => {
  it("renders the topic's template with the eight variables into the stored system prompt", async () => {
    const { id } = await startSession(t.app, { course_id: 90, topic_id: 902 });
    expect(await storedPrompt(id)).toBe(
      'Tutor for Fixture Course / Templated Topic (A topic with its own prompt template.). Objectives: Check every template variable.\n' +
        'Level beginner. Completed topics: none yet. Previous struggles: none recorded. Say {TOPIC_COMPLETED} when done. Literal: {braces}.',
    );
  });

  it('falls back to the default prompt with a logged warning when the template is broken, and still starts', async () => {
    const { id } = await startSession(t.app, { course_id: 90, topic_id: 903 });
    const prompt = await storedPrompt(id);
    expect(prompt).toContain('Topic: Broken Template');
    expect(prompt).toContain('## Completion criteria');
    expect(t.logs).toContainEqual(
      expect.objectContaining({ level: 40, topicId: 903, msg: expect.stringContaining('unknown placeholder {learner_name}') }),
    );
  });

  it('keeps exactly one system message per session, before the conversation', async () => {
    const { id } = await startSession(t.app, { course_id: 90, topic_id: 902 });
    await say(t.app, id, '1');
    const rows = await t.testDatabase.database.db
      .select({ id: chatMessages.id, role: chatMessages.role })
      .from(chatMessages)
      .where(and(eq(chatMessages.sessionId, id)))
      .orderBy(chatMessages.id);
    expect(rows.map((row) => row.role)).toEqual(['system', 'assistant', 'user', 'assistant']);
  });
});
