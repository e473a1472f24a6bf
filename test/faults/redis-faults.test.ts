import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runLearner, type Seen } from '../support/learner.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

// The built service with REDIS_URL (the production checklist's setup) behind a TCP proxy to the machine's Redis:
// Redis is only the shared rate-limit store, so its faults must cost no request.

let proxy: TcpProxy;
let server: ServerProcess;
let testDatabase: TestDatabase | undefined;
let dataDir: string | undefined;
let nextUser = 1;

beforeAll(async () => {
  proxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 });
  testDatabase = await createTestDatabase();
  dataDir = testDatabase.url ? undefined : mkdtempSync(path.join(tmpdir(), 'redis-faults-'));
  server = await startServer({
    ...(testDatabase.url ? { DATABASE_URL: testDatabase.url } : { DATA_DIR: dataDir! }),
    REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
    REDIS_KEY_PREFIX: `test-${randomBytes(6).toString('hex')}:`,
    REDIS_COMMAND_TIMEOUT_MS: '200',
    READY_CHECK_TIMEOUT_MS: '300',
  });
});
afterAll(async () => {
  await server?.stop();
  await proxy?.close();
  await testDatabase?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** Readiness, and its Redis check: reported, never what makes an instance unready (every instance shares Redis). */
const ready = async () => {
  const response = await fetch(`${server.url}/api/ready`);
  return { status: response.status, redis: ((await response.json()) as { checks: { redis: { ok: boolean } } }).checks.redis.ok };
};

/** Learners run to completion while `during` injects a fault; every answer they saw is returned. */
async function learnersThrough(during: () => Promise<void>) {
  const seen: Seen = new Map();
  const client = { baseUrl: () => server.url, seen };
  const learners = Promise.all(Array.from({ length: 6 }, () => runLearner(client, nextUser++)));
  await during();
  const results = await learners;
  expect(results.every((result) => result.completed)).toBe(true);
  expect([...seen.keys()].filter((status) => !status.startsWith('2'))).toEqual([]);
  expect(server.child.exitCode).toBeNull();
}

describe('Redis faults cost no request', () => {
  it('connections reset again and again', async () => {
    await learnersThrough(async () => {
      for (let i = 0; i < 8; i++) {
        proxy.resetAll();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    });
  });

  it('Redis refusing connections: served without the shared limit, reported unavailable, and back once Redis is', async () => {
    await proxy.refuse();
    await learnersThrough(async () => {
      expect(await ready()).toEqual({ status: 200, redis: false });
      const health = await fetch(`${server.url}/api/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'degraded', redis: { status: 'unavailable' } });
    });
    await proxy.restore();
    await vi.waitFor(async () => expect(await ready()).toEqual({ status: 200, redis: true }), { timeout: 15_000, interval: 200 });
  });

  it('a silent Redis (a partition) holds no request beyond REDIS_COMMAND_TIMEOUT_MS', async () => {
    proxy.blackhole();
    await learnersThrough(async () => {
      expect(await ready()).toEqual({ status: 200, redis: false });
    });
    await proxy.restore();
    await vi.waitFor(async () => expect(await ready()).toEqual({ status: 200, redis: true }), { timeout: 15_000, interval: 200 });
  });
});
