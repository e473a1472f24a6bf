import { mkdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { StartupError } from '../startup-error.js';

/** Who holds an embedded data directory: written into its lock file. */
interface Holder {
  pid: number;
  host: string;
  startedAt: string;
}

export interface DataDirLock {
  release(): void;
}

/** The lock's file, in the data directory: the one entry there that is not the database's. */
export const lockName = 'service.lock';
/** How often the holder touches its lock: a lock from another host that has not been touched for 3 beats is stale. */
const heartbeatMs = 5_000;

/**
 * Takes the embedded database's directory for this process alone. PGlite has one connection and no lock of its own:
 * two processes on one directory would both start, hand out the same ids and lose each other's writes. A second
 * process refuses to start, naming the directory and the holder. A lock left by a process that died (killed, crashed)
 * does not block the next start: on the same host its process is gone; from another host (a container on a shared
 * volume) it is no longer touched.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, lockName);
  const me: Holder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(file, JSON.stringify(me), { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (attempt >= 3) throw new StartupError(`DATA_DIR ${dataDir}: its lock file ${file} keeps coming back; is another process starting on it?`);
    }
    const holder = readHolder(file);
    if (holder && isAlive(holder, file)) {
      throw new StartupError(
        `DATA_DIR ${dataDir} is in use by process ${holder.pid} on ${holder.host} (since ${holder.startedAt}): ` +
          'stop that process, or give this one another DATA_DIR (or DATABASE_URL)',
      );
    }
    removeStale(file, holder);
  }
  const heartbeat = setInterval(() => {
    const now = new Date();
    try {
      utimesSync(file, now, now);
    } catch {
      // The directory went away or became read-only: the database will say so on its next write.
    }
  }, heartbeatMs).unref();
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      if (readHolder(file)?.pid === me.pid) unlinkSync(file);
    },
  };
}

function readHolder(file: string): Holder | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Holder;
  } catch {
    return undefined; // gone meanwhile, or written by a process killed mid-write: either way nobody holds it
  }
}

function isAlive(holder: Holder, file: string): boolean {
  if (holder.host === hostname()) {
    // A restarted container runs as the same pid as the one that died: that lock is its own predecessor's.
    if (holder.pid === process.pid) return false;
    try {
      process.kill(holder.pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  // Another host: its process cannot be asked, but a live holder keeps touching the file.
  try {
    return Date.now() - statSync(file).mtimeMs < 3 * heartbeatMs;
  } catch {
    return false;
  }
}

/**
 * Removes a stale lock. Two processes finding the same stale lock could otherwise remove each other's new one: the
 * lock is moved aside first, and put back if what was moved is no longer the stale holder's.
 */
function removeStale(file: string, stale: Holder | undefined): void {
  const aside = `${file}.${process.pid}.stale`;
  try {
    renameSync(file, aside);
  } catch {
    return; // someone else moved it first: try again
  }
  const moved = readHolder(aside);
  if (stale && moved && (moved.pid !== stale.pid || moved.startedAt !== stale.startedAt)) {
    renameSync(aside, file);
    return;
  }
  unlinkSync(aside);
}
