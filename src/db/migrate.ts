import path from 'node:path';
import { sql } from 'drizzle-orm';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import { projectRoot } from '../project-root.js';
import type { Database, Schema } from './client.js';

export const migrationsFolder = path.join(projectRoot, 'drizzle');

/** Applies every committed migration not yet applied. Safe to run from several instances at once on PostgreSQL. */
export async function runMigrations(database: Database): Promise<void> {
  // Most starts find nothing to apply: one select says so, without the lock and the migrator's DDL round trips.
  if ((await pendingMigrations(database)) === 0) return;
  await database.withMigrationLock(async () => {
    // Each driver's migrator is loaded only when it is used, like the driver.
    if (database.kind === 'postgres') {
      const { migrate } = await import('drizzle-orm/node-postgres/migrator');
      await migrate(database.db as unknown as NodePgDatabase<Schema>, { migrationsFolder });
    } else {
      const { migrate } = await import('drizzle-orm/pglite/migrator');
      await migrate(database.db as unknown as PgliteDatabase<Schema>, { migrationsFolder });
    }
  });
}

// The migrations the build shipped do not change while it runs: read (and hashed) once.
let committed: number[] | undefined;
const committedMigrations = () => (committed ??= readMigrationFiles({ migrationsFolder }).map((migration) => migration.folderMillis));

/** How many committed migrations the database has not applied yet (the migrator records each one it applies). */
export async function pendingMigrations(database: Database): Promise<number> {
  const result = (await database.db
    .execute(sql`select coalesce(max(created_at), 0)::bigint as applied from drizzle.__drizzle_migrations`)
    .catch((error: unknown) => {
      // Before the first migration the table does not exist: nothing is applied. Any other failure is a failure.
      if (neverMigrated(error)) return { rows: [{ applied: 0 }] };
      throw error;
    })) as { rows: { applied: string | number }[] };
  const applied = Number(result.rows[0]?.applied ?? 0);
  return committedMigrations().filter((folderMillis) => folderMillis > applied).length;
}

/** The migrations' table or schema does not exist (undefined_table, invalid_schema_name), under Drizzle's wrapper. */
function neverMigrated(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 3; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (code === '42P01' || code === '3F000') return true;
  }
  return false;
}
