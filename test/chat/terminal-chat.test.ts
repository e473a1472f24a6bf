import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { ExitedProcess } from '../support/server-process.js';
import { startServer } from '../support/server-process.js';
import { createTestDatabase, testDatabaseUrl } from '../support/test-database.js';

// The terminal chat as `npm run chat` runs it (the built dist/chat-cli.js), driven through its standard input.

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const chatEntry = path.join(projectRoot, 'dist', 'chat-cli.js');
const cleanups: (() => Promise<unknown> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

/** A database of the test's own: a data directory, or a PostgreSQL database in that pass. */
async function databaseEnv(): Promise<Record<string, string>> {
  if (testDatabaseUrl) {
    const database = await createTestDatabase();
    cleanups.push(() => database.drop());
    return { DATABASE_URL: database.url! };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'ai-training-chat-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return { DATA_DIR: dir };
}

/** A local port nothing listens on. */
function closedPort(): Promise<string> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(String(port)));
    });
  });
}

/** Runs the chat with `args`, writes `lines` to its standard input, and collects what it printed. */
function chat(args: string[], env: Record<string, string>, lines: string[]): Promise<ExitedProcess> {
  const child = spawn(process.execPath, [chatEntry, ...args], { cwd: projectRoot, env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(lines.map((line) => `${line}\n`).join(''));
  const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe('the terminal chat', () => {
  it('with no service running, starts one in its process and completes a topic on the offline tutor, kept for the next run', async () => {
    const env = { ...(await databaseEnv()), PORT: await closedPort() };
    const first = await chat(['--topic', '5', '--user', '3'], env, ['string', '/progress', '/hint', 'an integer']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const out = first.stdout;
    expect(out).toMatch(/^No service answers at http:\/\/127\.0\.0\.1:\d+: started one in this process, with its data in .+ and the offline tutor\.\n/);
    expect(out).toContain('Session 1 of learner 3: Variables and Data Types (Introduction to Programming).');
    expect(out).toContain('You: string\nTutor: Correct! Yes, "string" is right.');
    expect(out).toContain('Progress: 2 questions asked, 1 answer graded, 1 correct; 1 correct of your last 1 (the topic is complete at 2 of 3).');
    expect(out).toContain("You: /hint\nTutor: Here's a hint: It is a whole number");
    expect(out).toContain('Topic completed! You have mastered "Variables and Data Types".');

    // The embedded service closed its database cleanly: the next run opens it, and the session is there, completed.
    const second = await chat(['--topic', '6', '--user', '3'], env, ['/sessions', '/quit']);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/ {2}1 {2}Variables and Data Types: completed, started /);
    expect(second.stdout).toMatch(/ {2}2 {2}Conditional Statements: in progress, started /);
    expect(second.stdout).toContain('Session 2 stays open');
  }, 60_000);

  it('acts with the service key of the service it starts, so the learner needs none', async () => {
    const env = { ...(await databaseEnv()), PORT: await closedPort(), SERVICE_API_KEY: 'a-key-the-learner-never-types' };
    const result = await chat(['--topic', '7', '--user', '5'], env, ['/progress']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Session 1 of learner 5: Loops');
    expect(result.stdout).toContain('Progress: 1 question asked, 0 answers graded');
    expect(result.stdout).not.toContain('a-key-the-learner-never-types');
  }, 60_000);

  it('uses the service running on PORT when one answers, and picks the topic from the catalog', async () => {
    const server = await startServer(await databaseEnv());
    try {
      const port = new URL(server.url).port;
      const result = await chat(['--user', '4'], { PORT: port, DATA_DIR: '/nonexistent/never-opened' }, ['2', '6', 'if', 'else']);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Using the service running at http://127.0.0.1:${port}.`);
      expect(result.stdout).toContain('Which course?\n  2  Introduction to Programming\n  3  Introdução à Programação\nChoice: 2');
      expect(result.stdout).toContain('Which topic of Introduction to Programming?\n  5  Variables and Data Types\n  6  Conditional Statements\n  7  Loops\nChoice: 6');
      expect(result.stdout).toContain('Topic completed! You have mastered "Conditional Statements".');
      const sessions = (await (await fetch(`${server.url}/api/sessions?user_id=4`)).json()) as { sessions: { status: string; topic_id: number }[] };
      expect(sessions.sessions).toMatchObject([{ topic_id: 6, status: 'completed' }]);
    } finally {
      await server.stop();
    }
  }, 60_000);

  it('talks to --url with the service key, and says so plainly when the key is missing or wrong', async () => {
    const server = await startServer({ ...(await databaseEnv()), SERVICE_API_KEY: 'the-chat-key' });
    try {
      const missing = await chat(['--url', server.url, '--topic', '5'], {}, []);
      expect(missing).toMatchObject({ code: 1, stderr: 'The service requires credentials: give --key (with --user) or --token.\n' });
      const wrong = await chat(['--url', server.url, '--key', 'not-the-key', '--topic', '5'], {}, []);
      expect(wrong).toMatchObject({ code: 1, stderr: 'The service refused the key.\n' });
      const unknownTopic = await chat(['--url', server.url, '--key', 'the-chat-key', '--topic', '99'], {}, []);
      expect(unknownTopic).toMatchObject({ code: 1, stderr: 'That topic does not exist.\n' });

      const result = await chat(['--url', server.url, '--key', 'the-chat-key', '--user', '9', '--topic', '7'], {}, ['What is a loop?']);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`Using the service at ${server.url}.`);
      expect(result.stdout).toContain('You: What is a loop?\nTutor: ');
      expect(result.stdout).toContain('Session 1 stays open');
      expect(result.stdout).not.toContain('the-chat-key');
    } finally {
      await server.stop();
    }
  }, 60_000);

  it('refuses options it cannot take, with its usage', async () => {
    const bad = await chat(['--topic', '0x5'], {}, []);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^--topic must be a positive whole number\n\nUsage: npm run chat/);
    const unknown = await chat(['--colour'], {}, []);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--colour'");
    const help = await chat(['--help'], {}, []);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toContain('/hint asks for a hint');
  });
});
