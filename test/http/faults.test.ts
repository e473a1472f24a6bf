import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import { expectProblem, say, sendMessage, startSession } from '../support/requests.js';
import { rowCounts } from '../support/snapshot.js';

// A real fault inside the database: a trigger that fails the insert of an assistant message whose text
// mentions `marker`, i.e. halfway through a turn, after the learner's message was inserted.
async function failAssistantInsertsMentioning(t: TestApp, marker: string) {
  const { db } = t.testDatabase.database;
  await db.execute(
    sql.raw(`CREATE OR REPLACE FUNCTION fail_turn() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.role = 'assistant' AND NEW.content LIKE '%${marker}%' THEN
          RAISE EXCEPTION 'internal detail: relation secret_table is broken';
        END IF;
        RETURN NEW;
      END $$`),
  );
  await db.execute(sql`DROP TRIGGER IF EXISTS fail_turn ON chat_messages`);
  await db.execute(sql`CREATE TRIGGER fail_turn BEFORE INSERT ON chat_messages FOR EACH ROW EXECUTE FUNCTION fail_turn()`);
}

describe('a turn that fails halfway', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(() => t?.close());

  it('commits nothing, answers 500 without internals, logs the cause, and the learner can resend', async () => {
    const { id } = await startSession(t.app);
    await failAssistantInsertsMentioning(t, 'Correct!');
    const before = await rowCounts(t.testDatabase.database.db);

    const response = await sendMessage(t.app, id, 'string');
    const body = expectProblem(response, 500, 'internal_error');
    expect(response.body).not.toContain('secret_table');
    expect(body.detail).toBe('The request could not be completed. It has been logged.');
    expect(await rowCounts(t.testDatabase.database.db)).toEqual(before);
    const logged = JSON.stringify(t.logs);
    expect(logged).toContain('secret_table');
    // The failed SQL is logged, its parameters (the learner's words) are not.
    expect(logged).toContain('insert into \\"chat_messages\\"');
    expect(logged).not.toContain('Correct! Yes');

    await t.testDatabase.database.db.execute(sql`DROP TRIGGER fail_turn ON chat_messages`);
    expect((await say(t.app, id, 'string')).ai_message).toMatch(/^Correct!/);
    const details = (await t.app.inject({ url: `/api/sessions/${id}` })).json();
    expect(details.messages.map((m: { role: string }) => m.role)).toEqual(['assistant', 'user', 'assistant']);
  });

  it('a failed start leaves no half-created session', async () => {
    await failAssistantInsertsMentioning(t, 'Hi!');
    const before = await rowCounts(t.testDatabase.database.db);
    expectProblem(
      await t.app.inject({ method: 'POST', url: '/api/sessions/start', payload: { user_id: 9, topic_id: 5, course_id: 2 } }),
      500,
      'internal_error',
    );
    expect(await rowCounts(t.testDatabase.database.db)).toEqual(before);
    await t.testDatabase.database.db.execute(sql`DROP TRIGGER fail_turn ON chat_messages`);
  });
});

describe('with DEBUG=true', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ DEBUG: 'true' });
  });
  afterAll(() => t?.close());

  it('a 500 carries the message and the stack, for the developer', async () => {
    const { id } = await startSession(t.app);
    await failAssistantInsertsMentioning(t, 'Correct!');
    const response = await sendMessage(t.app, id, 'string');
    expect(response.statusCode).toBe(500);
    const body = response.json();
    expect(body.detail).toContain('secret_table');
    expect(body.stack).toEqual(expect.any(String));
  });
});
