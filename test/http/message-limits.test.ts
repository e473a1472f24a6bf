import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import { say, startSession } from '../support/requests.js';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t?.close());

it('accepts a message of exactly MAX_MESSAGE_LENGTH characters, counting characters rather than UTF-16 units', async () => {
  const { id } = await startSession(t.app);
  const emoji = '🙂'.repeat(5000); // 5000 characters, 10000 UTF-16 code units
  const turn = await say(t.app, id, emoji);
  expect(turn.topic_completed).toBe(false);
  const details = (await t.app.inject({ url: `/api/sessions/${id}` })).json();
  expect(details.messages[1].content).toBe(emoji);
});

it('keeps line breaks, tabs and non-Latin text intact', async () => {
  const { id } = await startSession(t.app);
  const message = 'Is it\ta string?\r\nЯ думаю, что да — 文字列';
  await say(t.app, id, message);
  const details = (await t.app.inject({ url: `/api/sessions/${id}` })).json();
  expect(details.messages[1].content).toBe(message);
});
