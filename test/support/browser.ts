import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

// Debian's Chromium, which `.ci/run` installs (Playwright's own browser downloads are not used).
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const flags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Where the browser tests write their screenshots (git-ignored). */
export const artifactsDir = fileURLToPath(new URL('../../test-artifacts', import.meta.url));

export function launchBrowser(): Promise<Browser> {
  if (!existsSync(executablePath)) {
    throw new Error(`The browser tests need Chromium at ${executablePath}: install it (apt-get install chromium) or set CHROMIUM_PATH`);
  }
  return chromium.launch({ executablePath, args: flags, headless: true });
}

export const phone = { width: 390, height: 844 };
export const desktop = { width: 1280, height: 860 };

export interface AppPage {
  page: Page;
  /** Every request the page made to anywhere but the service. */
  outsideRequests: string[];
  /** Errors the page's scripts threw. */
  pageErrors: string[];
}

/** A page in a fresh context (its own session storage), recording what it asks of anything but the service. */
export async function openApp(browser: Browser, serviceUrl: string, viewport = desktop): Promise<AppPage> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  // A step that cannot happen fails in seconds, naming the step, rather than at the test's timeout.
  page.setDefaultTimeout(10_000);
  const origin = new URL(serviceUrl).origin;
  const outsideRequests: string[] = [];
  const pageErrors: string[] = [];
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(`${origin}/`) && !url.startsWith('data:')) outsideRequests.push(url);
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  // The confirmation before ending a session is accepted.
  page.on('dialog', (dialog) => void dialog.accept());
  await page.goto(`${serviceUrl}/app/`);
  return { page, outsideRequests, pageErrors };
}

const axeSource = readFileSync(fileURLToPath(new URL('../../node_modules/axe-core/axe.min.js', import.meta.url)), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/** axe-core's serious and critical violations on the page as it is (WCAG 2.x A and AA rules, and best practices). */
export async function seriousViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol: the page's policy forbids inline scripts, as it should.
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (context: Document, options: unknown) => Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
    return result.violations;
  });
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => `${violation.id} (${violation.impact}): ${violation.help} at ${JSON.stringify(violation.nodes.map((node) => node.target))}`);
}

/** Saves a full-page screenshot as test-artifacts/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(artifactsDir, { recursive: true });
  await page.screenshot({ path: `${artifactsDir}/${name}.png`, fullPage: true });
}
