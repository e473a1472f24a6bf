import { fileURLToPath } from 'node:url';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import type { Database, Schema } from './client.js';

// Resolved from this file, not the working directory, so that `src/` and `dist/` both find the committed SQL.
export const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));

/** Applies every committed migration not yet applied. Safe to run from several instances at once on PostgreSQL. */
export async function runMigrations(database: Database): Promise<void> {
  await database.withMigrationLock(async () => {
    if (database.kind === 'postgres') {
      await migratePg(database.db as unknown as NodePgDatabase<Schema>, { migrationsFolder });
    } else {
      await migratePglite(database.db as unknown as PgliteDatabase<Schema>, { migrationsFolder });
    }
  });
}
