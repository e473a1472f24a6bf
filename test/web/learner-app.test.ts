import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { desktop, launchBrowser, openApp, phone, screenshot, seriousViolations, type AppPage } from '../support/browser.js';
import { startGeminiDouble, type GeminiBehaviour, type GeminiDouble } from '../support/gemini-double.js';
import { gradeAnswer, scriptedQuestions, scriptedTutor } from '../support/scripted-gemini.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { createTestDatabase, testDatabaseUrl, type TestDatabase } from '../support/test-database.js';

// The learner web app in a real browser (Debian's Chromium), served by the built service as `npm start` runs it:
// on the offline tutor with the embedded database (or PostgreSQL in that pass) and no authentication, and on a Gemini
// double with Redis and learners' tokens.

const secret = 'a-test-secret-of-at-least-32-characters!';

let browser: Browser;
let offline: ServerProcess;
let gemini: GeminiDouble;
let withGemini: ServerProcess;
const cleanups: (() => Promise<unknown> | void)[] = [];

/** A database of the test's own for a service process: a data directory, or a PostgreSQL database in that pass. */
async function databaseEnv(): Promise<Record<string, string>> {
  if (testDatabaseUrl) {
    const database: TestDatabase = await createTestDatabase();
    cleanups.push(() => database.drop());
    return { DATABASE_URL: database.url! };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'ai-training-web-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return { DATA_DIR: dir };
}

// Streamed replies come in several pieces, a little apart, so that a reply can be watched (and cut) as it streams.
const streamed: GeminiBehaviour = (request, index) => {
  const answer = scriptedTutor(request, index);
  return request.grading || 'status' in answer ? answer : { ...answer, chunks: 4, chunkDelayMs: 150 };
};

beforeAll(async () => {
  browser = await launchBrowser();
  gemini = await startGeminiDouble(streamed);
  [offline, withGemini] = await Promise.all([
    databaseEnv().then((env) => startServer(env)),
    databaseEnv().then((env) =>
      startServer({
        ...env,
        GEMINI_API_KEY: 'k',
        GEMINI_BASE_URL: gemini.url,
        LLM_MAX_RETRIES: '0',
        REDIS_URL: 'redis://127.0.0.1:6379',
        REDIS_KEY_PREFIX: `test-${randomBytes(6).toString('hex')}:`,
        AUTH_JWT_SECRET: secret,
        // No leeway: a token that has expired is refused at once.
        AUTH_JWT_CLOCK_TOLERANCE_SECONDS: '0',
      }),
    ),
  ]);
}, 90_000);
afterAll(async () => {
  await browser?.close();
  await Promise.all([offline?.stop(), withGemini?.stop()]);
  await gemini?.close();
  for (const cleanup of cleanups) await cleanup();
});

/** Presses Tab until `target` has the focus, as a keyboard user would reach it. */
async function tabTo(page: Page, target: Locator): Promise<void> {
  for (let presses = 0; presses < 40; presses++) {
    if (await target.evaluate((element) => element === document.activeElement).catch(() => false)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached ${target.toString()}`);
}

const focused = (page: Page) => page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');

async function expectAccessible(page: Page): Promise<void> {
  expect(await seriousViolations(page)).toEqual([]);
}

/** Signs in as learner `userId` (the service has no authentication) and waits for the learner's home. */
async function signIn(page: Page, userId: number): Promise<void> {
  await page.getByLabel('Learner id').fill(String(userId));
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('heading', { level: 1, name: 'Your learning' }).waitFor();
}

/** Signs in with learner `userId`'s token (the service verifies tokens) and waits for the learner's home. */
async function signInWithToken(page: Page, userId: number, { expectHome = true } = {}): Promise<void> {
  const token = await new SignJWT({ sub: String(userId) })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(secret));
  await page.getByLabel('Access token').fill(token);
  await page.getByRole('button', { name: 'Continue' }).click();
  if (expectHome) await page.getByRole('heading', { level: 1, name: 'Your learning' }).waitFor();
  await expect.poll(() => page.locator('header .account').textContent()).toContain(`Learner ${userId}`);
}

async function startTopic(page: Page, title: string): Promise<void> {
  await page.getByRole('button', { name: `Start ${title}` }).click();
  await page.getByRole('heading', { level: 1, name: title }).waitFor();
}

const conversation = (page: Page) => page.getByRole('list', { name: 'Conversation' });
// The tutor's saved messages (the reply streaming in is the live region).
const tutorMessages = (page: Page) => conversation(page).locator('li.tutor .text:not([aria-live])');
const progressCount = (page: Page, label: string) => page.locator('.progress .counts div', { hasText: label }).locator('dd');

async function send(page: Page, message: string): Promise<void> {
  await page.getByLabel('Your message').fill(message);
  await page.getByLabel('Your message').press('Enter');
}

/** Waits for the reply in progress to be saved, as the conversation's `tutorCount`th message of the tutor. */
async function replied(page: Page, tutorCount: number): Promise<void> {
  await tutorMessages(page).nth(tutorCount - 1).waitFor();
}

function expectNothingOutside(app: AppPage): void {
  expect(app.outsideRequests).toEqual([]);
  expect(app.pageErrors).toEqual([]);
}

describe('a learner on the offline tutor', () => {
  it('completes a topic with the keyboard alone, with no accessibility violation, at desktop and phone width', async () => {
    const app = await openApp(browser, offline.url, desktop);
    const { page } = app;
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await expectAccessible(page);
    await screenshot(page, 'sign-in-desktop');

    await tabTo(page, page.getByLabel('Learner id'));
    await page.keyboard.press('Control+A');
    await page.keyboard.type('7');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Your learning' }).waitFor();
    await page.getByRole('button', { name: 'Start Variables and Data Types' }).waitFor();
    await expectAccessible(page);
    await screenshot(page, 'home-desktop');

    await tabTo(page, page.getByRole('button', { name: 'Start Variables and Data Types' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Variables and Data Types' }).waitFor();
    await expect.poll(() => tutorMessages(page).first().textContent()).toContain('store a piece of text');
    await expectAccessible(page);

    const composer = page.getByLabel('Your message');
    await tabTo(page, composer);
    await page.keyboard.type('string');
    await page.keyboard.press('Enter');
    await replied(page, 2);
    await expect.poll(() => progressCount(page, 'Correct answers').textContent()).toBe('1');
    expect(await tutorMessages(page).nth(1).textContent()).toContain('Correct!');
    // The focus comes back to the message box for the next answer.
    expect(await composer.evaluate((element) => element === document.activeElement)).toBe(true);

    await page.keyboard.type('an integer');
    await page.keyboard.press('Enter');
    const banner = page.locator('.completed');
    await banner.waitFor();
    expect(await banner.textContent()).toContain('Topic completed!');
    // The completion takes the focus, so that a screen reader announces it; the message box is gone.
    expect(await focused(page)).toContain('Topic completed!');
    expect(await composer.count()).toBe(0);
    expect(await progressCount(page, 'Answers graded').textContent()).toBe('2');
    expect(await page.locator('.progress .rule').textContent()).toContain('2 correct of your last 3 answers');
    await expectAccessible(page);
    await screenshot(page, 'completed-desktop');

    await page.setViewportSize(phone);
    // Nothing is wider than a phone's screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(phone.width);
    await expectAccessible(page);
    await screenshot(page, 'completed-phone');

    await tabTo(page, page.getByRole('link', { name: 'Choose another topic' }));
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Your learning' }).waitFor();
    const sessions = page.locator('ul.sessions li');
    await expect.poll(() => sessions.first().textContent()).toContain('Variables and Data Types');
    expect(await sessions.first().textContent()).toContain('Completed');
    await screenshot(page, 'home-phone');
    expectNothingOutside(app);
  });

  it('asks for a hint, and lists its sessions to resume with their conversation, or to end', async () => {
    const app = await openApp(browser, offline.url, phone);
    const { page } = app;
    await signIn(page, 8);
    await startTopic(page, 'Conditional Statements');
    const opening = await tutorMessages(page).first().textContent();
    await page.getByRole('button', { name: 'Ask for a hint' }).click();
    await replied(page, 2);
    expect(await tutorMessages(page).nth(1).textContent()).toContain("Here's a hint: It is the two-letter word");
    expect(await progressCount(page, 'Answers graded').textContent()).toBe('0');
    await page.getByRole('link', { name: 'Your learning' }).click();

    // The catalog says where the learner stands on the topic, and resumes it rather than starting another.
    const topicEntry = page.locator('li.topic', { hasText: 'Conditional Statements' });
    await topicEntry.getByText('In progress').waitFor();
    expect(await page.getByRole('button', { name: 'Start Conditional Statements' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Resume Conditional Statements', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Conditional Statements' }).waitFor();
    await expect.poll(() => tutorMessages(page).first().textContent()).toBe(opening);
    expect(await conversation(page).locator('li.learner').allTextContents()).toEqual(['YouCan I have a hint?']);

    await page.getByRole('link', { name: 'Your learning' }).click();
    await page.getByRole('button', { name: /^End Conditional Statements/ }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'has ended' }).count()).toBe(1);
    expect(await page.locator('ul.sessions li').first().textContent()).toContain('Ended');
    expect(await page.getByRole('link', { name: /^Review Conditional Statements/ }).count()).toBe(1);
    expectNothingOutside(app);
  });

  it('shows a Portuguese session with the chat’s own words in Portuguese, its language marked for screen readers', async () => {
    const app = await openApp(browser, offline.url, desktop);
    const { page } = app;
    await signIn(page, 12);
    await page.getByLabel('Course').selectOption({ label: 'Introdução à Programação' });
    await startTopic(page, 'Variáveis e tipos de dados');
    expect(await page.locator('[lang="pt-BR"]').count()).toBe(1);
    const tutor = page.getByRole('list', { name: 'Conversa' }).locator('li.tutor .text:not([aria-live])');
    await page.getByRole('button', { name: 'Pedir uma dica' }).click();
    await tutor.nth(1).waitFor();
    expect(await tutor.nth(1).textContent()).toContain('Uma dica: É um número sem parte decimal.');
    expect(await page.locator('.progress .counts div', { hasText: 'Respostas avaliadas' }).locator('dd').textContent()).toBe('0');
    await page.getByLabel('Sua mensagem').fill('int');
    await page.getByRole('button', { name: 'Enviar' }).click();
    await tutor.nth(2).waitFor();
    expect(await tutor.nth(2).textContent()).toContain('Correto!');
    await expect.poll(() => page.locator('.progress .objectives li').allTextContents()).toEqual([
      'Reconhecer o tipo de um valor: 71 % dominado',
      'Prever o valor de uma variável depois de uma atribuição: 30 % dominado',
    ]);
    await expectAccessible(page);
    expectNothingOutside(app);
  });

  it('starts one session for a double click on Start', async () => {
    const app = await openApp(browser, offline.url, desktop);
    const { page } = app;
    await signIn(page, 9);
    await page.getByRole('button', { name: 'Start Loops' }).dblclick();
    await page.getByRole('heading', { level: 1, name: 'Loops' }).waitFor();
    const sessions = (await (await fetch(`${offline.url}/api/sessions?user_id=9`)).json()) as { sessions: unknown[] };
    expect(sessions.sessions).toHaveLength(1);
    expectNothingOutside(app);
  });
});

describe('a learner on a Gemini model', () => {
  it('is refused with a token that is not valid, in plain words', async () => {
    const app = await openApp(browser, withGemini.url, desktop);
    await app.page.getByLabel('Access token').fill('not-a-token');
    await app.page.getByRole('button', { name: 'Continue' }).click();
    expect(await app.page.getByRole('alert').textContent()).toBe('Your sign-in is not valid (or has expired). Sign in again.');
    expectNothingOutside(app);
  });

  it('after its sign-in expires, signs in again and is back in its session with the message it had not sent', async () => {
    gemini.behave(streamed);
    const app = await openApp(browser, withGemini.url, desktop);
    const { page } = app;
    const expiresAt = Math.floor(Date.now() / 1000) + 3;
    const shortLived = await new SignJWT({ sub: '24' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .setExpirationTime(expiresAt)
      .sign(new TextEncoder().encode(secret));
    await page.getByLabel('Access token').fill(shortLived);
    await page.getByRole('button', { name: 'Continue' }).click();
    await startTopic(page, 'Variables and Data Types');
    // The learner types, and sends once the token has expired (as after a break).
    await page.getByLabel('Your message').fill('string');
    while (Date.now() <= (expiresAt + 1) * 1000) await new Promise((resolve) => setTimeout(resolve, 250));
    await page.getByLabel('Your message').press('Enter');

    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    expect(await page.getByRole('status').filter({ hasText: 'expired' }).textContent()).toContain('Sign in again to go on where you were.');
    await signInWithToken(page, 24, { expectHome: false });
    await page.getByRole('heading', { level: 1, name: 'Variables and Data Types' }).waitFor();
    expect(await page.getByLabel('Your message').inputValue()).toBe('string');
    expectNothingOutside(app);
  });

  it('sees each reply stream in, in a polite live region, and completes a topic', async () => {
    gemini.behave(streamed);
    const app = await openApp(browser, withGemini.url, desktop);
    const { page } = app;
    await signInWithToken(page, 21);
    await startTopic(page, 'Variables and Data Types');
    expect(await tutorMessages(page).first().textContent()).toContain(scriptedQuestions[0]!.question);

    await send(page, scriptedQuestions[0]!.expected);
    // The reply grows piece by piece in the live region before it is saved.
    const live = page.locator('[aria-live="polite"]');
    await live.waitFor();
    const partial = await page.waitForFunction(() => document.querySelector('[aria-live="polite"]')?.textContent ?? '', undefined, { polling: 20 });
    const firstPiece = (await partial.jsonValue()) as string;
    await replied(page, 2);
    const whole = (await tutorMessages(page).nth(1).textContent())!;
    expect(firstPiece.length).toBeGreaterThan(0);
    expect(firstPiece.length).toBeLessThan(whole.length);
    expect(whole).toContain(scriptedQuestions[1]!.question);

    await send(page, `It is an ${scriptedQuestions[1]!.expected}`);
    await page.locator('.completed').waitFor();
    expect(await tutorMessages(page).nth(2).textContent()).toContain('mastered');
    await expectAccessible(page);
    expectNothingOutside(app);
  });

  it('after a reload mid-reply, goes on with the same reply, made once', async () => {
    const reply = Array.from({ length: 10 }, (_, index) => `Part ${index + 1} of a long explanation.`).join(' ');
    gemini.behave((request) => (request.grading ? gradeAnswer(request) : { text: reply, chunks: 10, chunkDelayMs: 250 }));
    const app = await openApp(browser, withGemini.url, desktop);
    const { page } = app;
    await signInWithToken(page, 22);
    await startTopic(page, 'Variables and Data Types');
    const callsBefore = gemini.requests.length;

    await send(page, 'Why do types matter?');
    await page.waitForFunction(() => (document.querySelector('[aria-live="polite"]')?.textContent ?? '').includes('Part 2'));
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Variables and Data Types' }).waitFor();
    await expect.poll(() => tutorMessages(page).nth(1).textContent(), { timeout: 15_000 }).toBe(reply);

    // The message and its reply shown once each; one call to the tutor model (and one to the grader), not two turns.
    expect(await conversation(page).locator('li.learner').allTextContents()).toEqual(['YouWhy do types matter?']);
    const calls = gemini.requests.slice(callsBefore);
    expect(calls.filter((request) => !request.grading)).toHaveLength(1);
    expect(await page.locator('[role="alert"]').count()).toBe(0);
    expectNothingOutside(app);
  });

  it('says in plain words when the tutor is unavailable, keeps the message, and sends it when asked again', async () => {
    const app = await openApp(browser, withGemini.url, phone);
    const { page } = app;
    gemini.behave(streamed);
    await signInWithToken(page, 23);
    await startTopic(page, 'Variables and Data Types');

    gemini.behave(() => ({ status: 503, message: 'overloaded' }));
    await send(page, 'string');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/^The tutor is unavailable right now\. Try again in (a moment|\d+ seconds?)\.$/);
    expect(await page.getByLabel('Your message').inputValue()).toBe('string');
    await expectAccessible(page);
    await screenshot(page, 'error-phone');

    gemini.behave(streamed);
    await page.getByLabel('Your message').press('Enter');
    await replied(page, 2);
    expect(await alert.count()).toBe(0);
    expect(await tutorMessages(page).nth(1).textContent()).toContain(scriptedQuestions[1]!.question);
    expectNothingOutside(app);
  });
});
