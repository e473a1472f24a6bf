import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { pgliteDatabase } from './client.js';
import { lockName } from './data-dir-lock.js';
import { runMigrations } from './migrate.js';

/**
 * A migrated PGlite data directory that `npm run build` leaves beside the bundle (dist/pglite-template); run from
 * source, there is none. PGlite's initdb takes seconds; copying this takes a fraction of one, so a first start
 * copies it instead.
 */
export const pgliteTemplateDir = fileURLToPath(new URL('pglite-template', import.meta.url));

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
 * Opens the embedded database in `dataDir`. A directory without a database starts as a copy of the template
 * when there is one; run from source, there is none, and `initdb` below creates it.
 */
export async function openPglite(dataDir: string, templateDir = pgliteTemplateDir): Promise<PGlite> {
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    if (existsSync(path.join(templateDir, 'PG_VERSION'))) await copyTemplate(templateDir, dataDir);
    else await initdb(dataDir);
  }
  return PGlite.create(dataDir, { startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${sharedBuffers}`] });
}

/**
 * Creates the database in `dataDir` with PGlite's own initdb, in a Node.js process of its own. initdb grows PGlite's
 * WebAssembly memory to ~0.5 GB, which WebAssembly never gives back, and compiling and running it leaves ~130 MB
 * more in the allocator's arenas: a service whose own PGlite had run initdb stayed at 790–830 MB resident for its
 * whole life (370 MB with initdb on a thread of its own), against 260–285 MB this way, as after a template's copy.
 */
function initdb(dataDir: string): Promise<void> {
  const script = `try {
    const { PGlite } = await import(process.argv[1]);
    await (await PGlite.create(process.argv[2])).close();
  } catch (error) {
    process.stderr.write(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }`;
  const pglite = import.meta.resolve('@electric-sql/pglite');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '--eval', script, pglite, dataDir], (error, _stdout, stderr) => {
      if (error) reject(new Error(`PGlite could not create a database in ${dataDir}: ${stderr.trim() || error.message}`));
      else resolve();
    });
  });
}

/**
 * initdb's 128MB of shared buffers is sized for a server: PGlite allocates and initialises them in its WebAssembly
 * memory on every start (~55 ms and ~110 MB of resident memory here). An embedded database sized for one service
 * does with a quarter; the operating system's page cache holds the rest of the data files.
 */
const sharedBuffers = '32MB';

const staging = '.template-copy';

/**
 * Copies into a staging folder inside the data directory (which may be a mount the service cannot replace or
 * create siblings of), then moves the entries into place with PG_VERSION last: PGlite takes a directory with
 * PG_VERSION for a database. A copy cut short leaves only template entries without it, which the next start
 * clears and copies again; a directory holding anything else (but this process's lock) is not touched.
 */
async function copyTemplate(templateDir: string, dataDir: string): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const entries = await readdir(templateDir);
  const present = (await readdir(dataDir)).filter((name) => name !== lockName);
  const ours = new Set([...entries, staging]);
  if (present.some((name) => !ours.has(name))) return;
  for (const name of present) await rm(path.join(dataDir, name), { recursive: true, force: true });
  const stagingDir = path.join(dataDir, staging);
  await copyTree(templateDir, stagingDir);
  for (const name of [...entries.filter((entry) => entry !== 'PG_VERSION'), 'PG_VERSION']) {
    await rename(path.join(stagingDir, name), path.join(dataDir, name));
  }
  await rmdir(stagingDir);
}

/**
 * A copy of a directory of plain files and directories, every file at once. `fs.cp` copies its thousand-odd
 * files one after another through promises: ~0.5 s here against ~0.05–0.1 s for this, which also leaves the main
 * thread free to load the service's modules meanwhile (`cpSync` would block it for ~0.1–0.2 s).
 */
async function copyTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  const entries = await readdir(from, { withFileTypes: true });
  await Promise.all(
    entries.map((entry) =>
      entry.isDirectory() ? copyTree(path.join(from, entry.name), path.join(to, entry.name)) : copyFile(path.join(from, entry.name), path.join(to, entry.name)),
    ),
  );
}
