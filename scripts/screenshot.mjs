// `npm run screenshot`: regenerates docs/app.png, the README's picture of the web app. Runs the built service on a
// temporary embedded database with the offline tutor, and Debian's Chromium (CHROMIUM_PATH to use another).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const dataDir = mkdtempSync(path.join(tmpdir(), 'ai-training-screenshot-'));
const server = spawn(process.execPath, ['dist/server.js'], {
  env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const url = await new Promise((resolve, reject) => {
  let output = '';
  server.stdout.on('data', (chunk) => {
    output += chunk;
    const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
    if (match) resolve(match[1]);
  });
  server.once('exit', (code) => reject(new Error(`the service exited (${code}):\n${output}`)));
});

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 760 }, deviceScaleFactor: 1 });
  await page.goto(`${url}/app/`);
  await page.getByLabel('Learner id').fill('1');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: 'Start Conditional Statements' }).click();
  const message = page.getByLabel('Your message');
  await message.fill('if');
  await message.press('Enter');
  await page.locator('li.tutor .text:not([aria-live])').nth(1).waitFor();
  await message.fill('');
  await page.screenshot({ path: 'docs/app.png', fullPage: true });
  console.log('docs/app.png written');
} finally {
  await browser.close();
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  rmSync(dataDir, { recursive: true, force: true });
}
