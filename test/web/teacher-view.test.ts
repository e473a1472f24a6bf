import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SignJWT } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { desktop, launchBrowser, openApp, phone, screenshot, seriousViolations } from '../support/browser.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { createTestDatabase, testDatabaseUrl } from '../support/test-database.js';

// The teacher's view of the web app in a real browser, on the built service with learners' and teachers' tokens.

const secret = 'a-test-secret-of-at-least-32-characters!';
const adminKey = 'the-admin-key-of-the-operators';
let browser: Browser;
let service: ServerProcess;
const cleanups: (() => Promise<unknown> | void)[] = [];

const token = (claims: Record<string, unknown>) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('10m').sign(new TextEncoder().encode(secret));

async function asLearner(userId: number, path: string, body: Record<string, unknown>) {
  const response = await fetch(`${service.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await token({ sub: String(userId) })}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status, await response.clone().text()).toBeLessThan(300);
  return (await response.json()) as { id: number };
}

let flaggedSession: number;
beforeAll(async () => {
  browser = await launchBrowser();
  let storage: Record<string, string>;
  if (testDatabaseUrl) {
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    storage = { DATABASE_URL: database.url! };
  } else {
    const dir = mkdtempSync(path.join(tmpdir(), 'ai-training-teach-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    storage = { DATA_DIR: dir };
  }
  service = await startServer({ ...storage, AUTH_JWT_SECRET: secret, ADMIN_API_KEY: adminKey });
  // Learner 501 completes "Variables and Data Types"; learner 502 answers wrong, then writes an insult.
  const done = await asLearner(501, '/api/sessions/start', { user_id: 501, topic_id: 5, course_id: 2 });
  await asLearner(501, `/api/sessions/${done.id}/message`, { message: 'string' });
  await asLearner(501, `/api/sessions/${done.id}/message`, { message: 'an integer' });
  const struggling = await asLearner(502, '/api/sessions/start', { user_id: 502, topic_id: 5, course_id: 2 });
  await asLearner(502, `/api/sessions/${struggling.id}/message`, { message: 'a number' });
  await asLearner(502, `/api/sessions/${struggling.id}/message`, { message: "you're so stupid" });
  flaggedSession = struggling.id;
}, 90_000);
afterAll(async () => {
  await browser?.close();
  await service?.stop();
  for (const cleanup of cleanups) await cleanup();
});

async function signInWith(page: Page, claims: Record<string, unknown>): Promise<void> {
  await page.getByLabel('Access token', { exact: true }).fill(await token(claims));
  await page.getByRole('button', { name: 'Continue' }).click();
}

describe('a teacher', () => {
  it('sees how each topic of their course goes, reviews and resolves a safety flag, and reads the transcript', async () => {
    const app = await openApp(browser, service.url, desktop);
    const { page } = app;
    await signInWith(page, { sub: '90', role: 'teacher', course_ids: [2] });
    await page.getByRole('link', { name: 'Teach' }).click();
    await page.getByRole('heading', { level: 1, name: 'Teaching' }).waitFor();

    const row = page.getByRole('row', { name: /Variables and Data Types/ });
    await row.waitFor();
    const cells = await row.getByRole('cell').allTextContents();
    expect(cells.slice(0, 3)).toEqual(['2', '1 (50 %)', '0 (0 %)']);
    expect(cells.at(-1)).toMatch(/\(1 of 2 wrong\)$/);

    const flag = page.locator('li.flag', { hasText: 'Harassment' });
    await flag.waitFor();
    expect(await flag.textContent()).toContain('Learner 502');
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'teach-desktop');

    await flag.getByRole('link', { name: /Read the session/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Variables and Data Types: learner 502' }).waitFor();
    const transcript = page.getByRole('list', { name: 'Transcript' });
    expect(await transcript.textContent()).toContain('expected answer: string');
    expect(await transcript.textContent()).toContain('Graded wrong');
    expect(await transcript.textContent()).toContain('Flagged: Harassment, low (open)');
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'transcript-desktop');

    await page.getByRole('link', { name: 'Teaching' }).click();
    await page.getByRole('button', { name: /^Resolve the harassment flag of learner 502/ }).click();
    await page.getByRole('status').filter({ hasText: 'is resolved' }).waitFor();
    expect(await page.locator('li.flag').count()).toBe(0);
    const flags = (await (await fetch(`${service.url}/api/admin/flags?status=resolved`, { headers: { 'x-api-key': adminKey } })).json()) as {
      items: { session_id: number; resolved_by: string }[];
    };
    expect(flags.items).toEqual([expect.objectContaining({ session_id: flaggedSession, resolved_by: 'user:90' })]);

    await page.setViewportSize(phone);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(phone.width);
    await screenshot(page, 'teach-phone');
    expect(app.outsideRequests).toEqual([]);
    expect(app.pageErrors).toEqual([]);
  });

  it('is not shown the teacher view with a learner’s token', async () => {
    const app = await openApp(browser, service.url, desktop);
    await signInWith(app.page, { sub: '501' });
    await app.page.getByRole('heading', { level: 1, name: 'Your learning' }).waitFor();
    expect(await app.page.getByRole('link', { name: 'Teach' }).count()).toBe(0);
  });
});

describe('an admin with the admin key', () => {
  it('lands on the teacher view, for every course', async () => {
    const app = await openApp(browser, service.url, desktop);
    const { page } = app;
    await page.getByLabel('The admin API key (the teacher view)').check();
    await page.getByLabel('Admin API key', { exact: true }).fill(adminKey);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { level: 1, name: 'Teaching' }).waitFor();
    await page.getByRole('row', { name: /Variables and Data Types/ }).waitFor();
    expect(await page.locator('header .account').textContent()).toContain('Admin');
    expect(app.outsideRequests).toEqual([]);
  });
});
