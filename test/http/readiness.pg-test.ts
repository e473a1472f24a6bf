import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import { openDatabase, type Database } from '../../src/db/client.js';
import { assembleDeps } from '../../src/deps.js';
import { repoCurriculumDir } from '../support/build-test-app.js';
import { createTestDatabase, postgresConfig, type TestDatabase } from '../support/test-database.js';

// Only in the PostgreSQL pass (see vitest.config.ts): the embedded database has no connection to lose.

/** A TCP proxy in front of PostgreSQL that can cut every connection and refuse new ones, then come back. */
async function startProxy(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  let server: net.Server;
  let port = 0;
  const listen = async () => {
    server = net.createServer((client) => {
      const upstream = net.connect(target.port, target.host);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  };
  await listen();
  return {
    port: () => port,
    async down() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    up: listen,
  };
}

let testDatabase: TestDatabase;
let proxy: Awaited<ReturnType<typeof startProxy>>;
let database: Database;
let app: Awaited<ReturnType<typeof buildApp>>;

beforeAll(async () => {
  testDatabase = await createTestDatabase();
  const direct = new URL(testDatabase.url!);
  proxy = await startProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
  const viaProxy = new URL(direct);
  viaProxy.host = `127.0.0.1:${proxy.port()}`;
  const config = parseConfig({ DATABASE_URL: viaProxy.toString(), CURRICULUM_DIR: repoCurriculumDir });
  database = await openDatabase(postgresConfig(viaProxy.toString(), { DATABASE_POOL_SIZE: '2' }), { onPoolError: () => {} });
  const logger = pino({ level: 'silent' });
  app = await buildApp(await assembleDeps(config, database, logger), logger);
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await database?.close();
  await proxy?.down().catch(() => {});
  await testDatabase?.drop();
});

it('readiness flips to 503 when PostgreSQL goes away, and back to 200 when it returns', async () => {
  expect((await app.inject({ url: '/api/ready' })).statusCode).toBe(200);

  await proxy.down();
  const away = await app.inject({ url: '/api/ready' });
  expect(away.statusCode).toBe(503);
  expect(away.json().checks.database).toEqual({ ok: false, detail: 'unreachable' });
  // Liveness holds: the process serves, and says which dependency is down.
  const health = await app.inject({ url: '/api/health' });
  expect(health.statusCode).toBe(200);
  expect(health.json()).toMatchObject({ status: 'degraded', database: { status: 'unavailable' } });

  await proxy.up();
  let status = 0;
  for (let attempt = 0; attempt < 20 && status !== 200; attempt++) {
    status = (await app.inject({ url: '/api/ready' })).statusCode;
    if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(status).toBe(200);
});
