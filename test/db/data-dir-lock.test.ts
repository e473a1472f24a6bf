import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lockDataDir } from '../../src/db/data-dir-lock.js';
import { StartupError } from '../../src/startup-error.js';

const dirs: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'data-dir-lock-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const lockFile = (dir: string) => path.join(dir, 'service.lock');
const holder = (pid: number, host: string) => JSON.stringify({ pid, host, startedAt: '2026-01-01T00:00:00.000Z' });
const ageSeconds = (file: string, seconds: number) => {
  const then = new Date(Date.now() - seconds * 1000);
  utimesSync(file, then, then);
};

describe('the embedded data directory lock', () => {
  it('is held by one process: a second lock is refused, naming the directory and the holder, until it is released', () => {
    const dir = dataDir();
    const lock = lockDataDir(dir);
    expect(JSON.parse(readFileSync(lockFile(dir), 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    // This process's parent is alive, on this host: its lock holds.
    writeFileSync(lockFile(dir), holder(process.ppid, hostname()));
    expect(() => lockDataDir(dir)).toThrow(StartupError);
    expect(() => lockDataDir(dir)).toThrow(`DATA_DIR ${dir} is in use by process ${process.ppid} on ${hostname()}`);
    writeFileSync(lockFile(dir), holder(process.pid, hostname()));
    lock.release();
    lockDataDir(dir).release();
  });

  it('is taken over from a process of this host that is gone', () => {
    const dir = dataDir();
    writeFileSync(lockFile(dir), holder(2 ** 22 + 12345, hostname())); // above Linux's pid limit: no such process
    const lock = lockDataDir(dir);
    expect(JSON.parse(readFileSync(lockFile(dir), 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('from another host (a shared volume): holds while its holder touches it, is taken over once it stops', () => {
    const dir = dataDir();
    writeFileSync(lockFile(dir), holder(1, 'another-host'));
    ageSeconds(lockFile(dir), 5);
    expect(() => lockDataDir(dir)).toThrow('is in use by process 1 on another-host');
    ageSeconds(lockFile(dir), 16);
    lockDataDir(dir).release();
  });

  it('is taken over when unreadable (a process killed while writing it)', () => {
    const dir = dataDir();
    writeFileSync(lockFile(dir), '{"pid": 12');
    lockDataDir(dir).release();
  });
});
