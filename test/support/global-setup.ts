import { execFileSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { TestProject } from 'vitest/node';
import { pgliteDatabase } from '../../src/db/client.js';
import { runMigrations } from '../../src/db/migrate.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
  }
}

/**
 * Creating a PGlite database runs initdb (seconds); loading a copy of an existing one takes under one.
 * So the run creates and migrates one database and every test file starts from a copy of it.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  // Tests that start a server process run the bundle `npm start` and the image run: it is built first, as they build it.
  execFileSync('npm', ['run', 'build'], { stdio: 'inherit' });
  if (process.env.TEST_DATABASE_URL) return undefined; // The PostgreSQL pass makes a database per test file instead.
  const client = await PGlite.create();
  await runMigrations(pgliteDatabase(client));
  const file = path.join(tmpdir(), `ai-training-pglite-template-${process.pid}.tar`);
  await writeFile(file, Buffer.from(await (await client.dumpDataDir('none')).arrayBuffer()));
  await client.close();
  project.provide('pgliteTemplate', file);
  return () => rm(file, { force: true });
}
