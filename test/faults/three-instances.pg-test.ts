import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDotnetDouble, type DotnetDouble } from '../support/dotnet-double.js';
import { startGeminiDouble, type GeminiDouble } from '../support/gemini-double.js';
import { runLearner, type Seen } from '../support/learner.js';
import { startRoundRobin, type RoundRobin } from '../support/round-robin.js';
import { scriptedTutor } from '../support/scripted-gemini.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { backendsEnv, expectWholeSessions } from './consistency.js';

// Only in the PostgreSQL pass: three processes of the built service on one PostgreSQL and one Redis, behind a
// round-robin balancer, as the README's production setup runs them. One is killed mid-load.

const serviceKey = 'cluster-key';
const secret = 'a-test-secret-of-at-least-32-characters!';
let testDatabase: TestDatabase;
let dotnet: DotnetDouble;
let gemini: GeminiDouble;
let servers: ServerProcess[] = [];
let balancer: RoundRobin;
const killed = new Set<ServerProcess>();

beforeAll(async () => {
  testDatabase = await createTestDatabase();
  dotnet = await startDotnetDouble();
  dotnet.topics.set(5, { id: 5, title: 'Variables and Data Types', description: 'D', courseId: 2, courseTitle: 'Programming', learningObjectives: 'O' });
  gemini = await startGeminiDouble(scriptedTutor);
  const env = {
    DATABASE_URL: testDatabase.url!,
    DATABASE_POOL_SIZE: '3',
    REDIS_URL: 'redis://127.0.0.1:6379',
    // This run's own keys in the shared Redis.
    REDIS_KEY_PREFIX: `test-${randomBytes(6).toString('hex')}:`,
    RATE_LIMIT_PER_MINUTE: '5',
    AUTH_JWT_SECRET: secret,
    SERVICE_API_KEY: serviceKey,
    ...backendsEnv(dotnet, gemini),
  };
  servers = await Promise.all([startServer(env), startServer(env), startServer(env)]);
  balancer = await startRoundRobin(() => servers.map((server) => server.url));
});
afterAll(async () => {
  await balancer?.close();
  await Promise.all(servers.filter((server) => !killed.has(server)).map((server) => server.stop()));
  await gemini?.close();
  await dotnet?.close();
  await testDatabase?.drop();
});

it('one of three killed mid-load: learners retrying with their keys lose no turn, and every completion arrives once', async () => {
  // Each turn of a learner lands on the next instance: the tutor answers slowly enough for turns to be in flight.
  gemini.behave((request, index) => ({ ...scriptedTutor(request, index), delayMs: request.grading ? 0 : 150 }));
  const seen: Seen = new Map();
  const client = { baseUrl: () => balancer.url, headers: { 'x-api-key': serviceKey }, seen };
  const learners = Array.from({ length: 12 }, (_, index) => runLearner(client, 500 + index));
  const victim = servers[1]!;
  setTimeout(() => {
    killed.add(victim);
    victim.child.kill('SIGKILL');
  }, 600);
  const results = await Promise.all(learners);

  expect(killed.has(victim)).toBe(true);
  expect(seen.get('502') ?? 0).toBeGreaterThan(0); // some requests were cut by the kill, and retried
  expect([...seen.keys()].filter((status) => status.startsWith('5') && !['502', '503'].includes(status))).toEqual([]);
  expect(results.every((result) => result.completed)).toBe(true);
  for (const survivor of servers.filter((server) => !killed.has(server))) expect(survivor.child.exitCode).toBeNull();
  await expectWholeSessions(client, testDatabase, dotnet, results);
});

it('shares rate limits between the instances through Redis', async () => {
  const token = await new SignJWT({ sub: '77' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(secret));
  const statuses: number[] = [];
  // Through the balancer, the requests spread over the instances still alive; each sees only some of them.
  while (statuses.filter((status) => status !== 502).length < 6) {
    statuses.push((await fetch(`${balancer.url}/api/sessions?user_id=77`, { headers: { authorization: `Bearer ${token}` } })).status);
  }
  expect(statuses.filter((status) => status !== 502)).toEqual([200, 200, 200, 200, 200, 429]);
});
