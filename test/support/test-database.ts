import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { inject } from 'vitest';
import { parseConfig, type DatabaseConfig } from '../../src/config.js';
import { openDatabase, pgliteDatabase, type Database, type DatabaseEvents } from '../../src/db/client.js';
import { runMigrations } from '../../src/db/migrate.js';

/** Set by .ci/run for the PostgreSQL pass; unset means the embedded PGlite, in memory. */
export const testDatabaseUrl = process.env.TEST_DATABASE_URL || undefined;

export interface TestDatabase {
  database: Database;
  /** The connection URL on PostgreSQL; undefined on PGlite. */
  url: string | undefined;
  drop(): Promise<void>;
}

/**
 * A fresh database of its own: an in-memory PGlite (a copy of the run's migrated template, see global-setup.ts), or
 * a new database on the PostgreSQL server. Migrations run as they do at start-up, unless `migrate: false` (on
 * PostgreSQL, the database is then left empty). `onQuery` sees every statement, as the service's query log does.
 */
export async function createTestDatabase(options: Pick<DatabaseEvents, 'onQuery'> & { migrate?: boolean } = {}): Promise<TestDatabase> {
  const { migrate = true, ...events } = options;
  if (!testDatabaseUrl) {
    const template = new Blob([await readFile(inject('pgliteTemplate'))]);
    const database = pgliteDatabase(await PGlite.create({ loadDataDir: template }), events);
    if (migrate) await runMigrations(database);
    return { database, url: undefined, drop: () => database.close() };
  }
  const name = `t_${process.pid}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  const url = new URL(testDatabaseUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase(postgresConfig(url.toString()), { ...events, onPoolError: () => {} });
  if (migrate) await runMigrations(database);
  return {
    database,
    url: url.toString(),
    async drop() {
      await database.close().catch(() => {});
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

/** A PostgreSQL database's configuration as the service reads it from DATABASE_URL, timeouts and all. */
export function postgresConfig(url: string, env: Record<string, string> = {}): DatabaseConfig {
  return parseConfig({ DATABASE_URL: url, DATABASE_POOL_SIZE: '5', ...env }).database;
}

async function adminQuery(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
