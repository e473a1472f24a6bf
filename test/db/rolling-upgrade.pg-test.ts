import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { migrationsFolder } from '../../src/db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

// Only in the PostgreSQL pass. During a rolling upgrade, instances of the previous release keep running on the
// database the new release has migrated: each migration must leave the previous release's statements working,
// on the connections where it has already prepared them (a prepared `returning *` breaks when its table gains a
// column: "cached plan must not change result type").

interface ReleaseStatements {
  release: string;
  /** How many of the committed migrations that release shipped with. */
  migrations: number;
  statements: { name?: string; sql: string; params: unknown[] }[];
}

const previous = JSON.parse(
  readFileSync(new URL('../fixtures/release-statements/0.1.0.json', import.meta.url), 'utf8'),
) as ReleaseStatements;

let testDatabase: TestDatabase;
let oldInstance: pg.Client;
const dirs: string[] = [];

beforeAll(async () => {
  testDatabase = await createTestDatabase({ migrate: false });
  oldInstance = new pg.Client({ connectionString: testDatabase.url });
  await oldInstance.connect();
});
afterAll(async () => {
  await oldInstance?.end();
  await testDatabase?.drop();
  dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});

/** The committed migrations as a release with only the first `count` of them shipped them. */
function migrationsOf(count: number): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'migrations-'));
  dirs.push(dir);
  cpSync(migrationsFolder, dir, { recursive: true });
  const journalFile = path.join(dir, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalFile, 'utf8')) as { entries: unknown[] };
  journal.entries = journal.entries.slice(0, count);
  writeFileSync(journalFile, JSON.stringify(journal));
  return dir;
}

/** What an instance of the previous release does on its connection: every statement of its query log, in order. */
async function replayPreviousRelease() {
  for (const statement of previous.statements) {
    await oldInstance.query({ name: statement.name, text: statement.sql, values: statement.params });
  }
  await oldInstance.query(
    'truncate chat_sessions, chat_messages, session_contexts, assessments, topic_completions, outbox, idempotency_keys restart identity cascade',
  );
}

it(`keeps release ${previous.release}'s statements working, prepared, across the newest migrations`, async () => {
  const db = testDatabase.database.db as unknown as NodePgDatabase;
  await migrate(db, { migrationsFolder: migrationsOf(previous.migrations) });
  await replayPreviousRelease();

  const journal = JSON.parse(readFileSync(path.join(migrationsFolder, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] };
  expect(journal.entries.length).toBeGreaterThan(previous.migrations); // this release migrates the database further
  await migrate(db, { migrationsFolder });
  await replayPreviousRelease();
});
