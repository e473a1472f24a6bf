import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgliteDatabase } from '../../src/db/client.js';
import { lockDataDir } from '../../src/db/data-dir-lock.js';
import { pendingMigrations } from '../../src/db/migrate.js';
import { createPgliteTemplate, openPglite } from '../../src/db/pglite-template.js';

const work = mkdtempSync(path.join(tmpdir(), 'ai-training-template-'));
const template = path.join(work, 'template');
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeAll(() => createPgliteTemplate(template), 60_000);

describe('the PGlite template a build leaves for first starts', () => {
  it('is a migrated database that a missing data directory starts as a copy of', async () => {
    const dataDir = path.join(work, 'missing', 'data');
    mkdirSync(path.dirname(dataDir));
    const client = await openPglite(dataDir, template);
    try {
      expect(await pendingMigrations(pgliteDatabase(client))).toBe(0);
      await client.query('create table only_in_the_copy (id int)');
    } finally {
      await client.close();
    }
    // The copy is the data directory's own: the template is untouched, and nothing is left beside it or staged in it.
    const reopened = await openPglite(template, template);
    const tables = await reopened.query("select 1 from pg_tables where tablename = 'only_in_the_copy'");
    await reopened.close();
    expect(tables.rows).toEqual([]);
    expect(readdirSync(path.dirname(dataDir))).toEqual(['data']);
    expect(readdirSync(dataDir)).not.toContain('.template-copy');
  });

  it('redoes a copy that was cut short, and leaves a directory holding anything else alone', async () => {
    const cutShort = path.join(work, 'cut-short');
    mkdirSync(path.join(cutShort, '.template-copy', 'base'), { recursive: true });
    mkdirSync(path.join(cutShort, 'global'));
    const client = await openPglite(cutShort, template);
    expect(await pendingMigrations(pgliteDatabase(client))).toBe(0);
    await client.close();

    const foreign = path.join(work, 'foreign');
    mkdirSync(foreign);
    writeFileSync(path.join(foreign, 'notes.txt'), 'mine');
    await openPglite(foreign, template).then((other) => other.close(), () => undefined);
    expect(readFileSync(path.join(foreign, 'notes.txt'), 'utf8')).toBe('mine');
    expect(existsSync(path.join(foreign, '.template-copy'))).toBe(false);
  });

  it('fills a data directory holding only the service’s lock, as the service opens it', async () => {
    const dataDir = path.join(work, 'locked');
    const lock = lockDataDir(dataDir);
    try {
      const client = await openPglite(dataDir, template);
      // Copied from the template, not made by initdb: it is migrated already.
      expect(await pendingMigrations(pgliteDatabase(client))).toBe(0);
      await client.close();
    } finally {
      lock.release();
    }
  });

  it('fills an empty data directory, and leaves an existing database alone', async () => {
    const dataDir = path.join(work, 'empty');
    mkdirSync(dataDir);
    const first = await openPglite(dataDir, template);
    await first.query('create table kept (id int)');
    await first.close();

    const again = await openPglite(dataDir, template);
    const tables = await again.query("select 1 from pg_tables where tablename = 'kept'");
    // Opened with the embedded database's own shared buffers, not initdb's server-sized 128MB.
    const buffers = await again.query<{ shared_buffers: string }>('show shared_buffers');
    await again.close();
    expect(tables.rows).toHaveLength(1);
    expect(buffers.rows[0]!.shared_buffers).toBe('32MB');
  });

  it('without a template, PGlite creates the database itself', async () => {
    const dataDir = path.join(work, 'no-template');
    const client = await openPglite(dataDir, path.join(work, 'nowhere'));
    const tables = await client.query<{ n: number }>('select count(*)::int as n from pg_tables');
    await client.close();
    expect(existsSync(path.join(dataDir, 'PG_VERSION'))).toBe(true);
    expect(tables.rows[0]!.n).toBeGreaterThan(0);
  });

  it('a database PGlite cannot create fails the opening with its error', async () => {
    const file = path.join(work, 'a-file');
    writeFileSync(file, '');
    await expect(openPglite(path.join(file, 'data'), path.join(work, 'nowhere'))).rejects.toThrow(/ENOTDIR|not a directory/i);
  });
});
