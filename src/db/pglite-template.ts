import { existsSync, readdirSync } from 'node:fs';
import { cp, rename, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { pgliteDatabase } from './client.js';
import { runMigrations } from './migrate.js';

/**
 * A migrated PGlite data directory that `npm run build` leaves beside the compiled code (dist/pglite-template).
 * PGlite's initdb takes seconds; copying this takes a fraction of one, so a first start copies it instead.
 */
export const pgliteTemplateDir = fileURLToPath(new URL('../pglite-template', import.meta.url));

export async function createPgliteTemplate(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  const client = await PGlite.create(dir);
  try {
    await runMigrations(pgliteDatabase(client));
  } finally {
    await client.close();
  }
}

/**
 * Opens the embedded database in `dataDir`. A missing or empty directory starts as a copy of the template
 * when there is one (run from source, there is none: PGlite runs initdb). The copy is made beside the data
 * directory and renamed into place, so that a crash mid-copy never leaves half a database behind.
 */
export async function openPglite(dataDir: string, templateDir = pgliteTemplateDir): Promise<PGlite> {
  const fresh = !existsSync(dataDir) || readdirSync(dataDir).length === 0;
  if (fresh && existsSync(path.join(templateDir, 'PG_VERSION'))) {
    const copy = `${path.resolve(dataDir)}.copying-${process.pid}`;
    await rm(copy, { recursive: true, force: true });
    await cp(templateDir, copy, { recursive: true });
    if (existsSync(dataDir)) await rmdir(dataDir);
    await rename(copy, dataDir);
  }
  return PGlite.create(dataDir);
}
