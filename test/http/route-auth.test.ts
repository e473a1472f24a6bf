import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import { rawRequest } from '../support/raw-http.js';
import { rowCounts } from '../support/snapshot.js';

// Authentication is decided on the route the router matched, never on how the URL was spelled: every route of the
// OpenAPI document, under every spelling the router accepts, refuses a request without valid credentials.

const secret = 'a-test-secret-of-at-least-32-characters!';
const keys = ['the-new-service-key', 'the-old-service-key'];
const encoder = new TextEncoder();

function token(claims: Record<string, unknown>, shape: { exp?: number | null; iat?: number } = {}) {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' });
  const now = Math.floor(Date.now() / 1000);
  jwt.setIssuedAt(shape.iat ?? now);
  if (shape.exp !== null) jwt.setExpirationTime(shape.exp ?? now + 300);
  return jwt.sign(encoder.encode(secret));
}

let t: TestApp;
let port: number;
let sessionId: number;

beforeAll(async () => {
  t = await buildTestApp({ SERVICE_API_KEY: keys.join(','), AUTH_JWT_SECRET: secret });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  port = (t.app.server.address() as AddressInfo).port;
  const started = await rawRequest(port, {
    method: 'POST',
    target: '/api/sessions/start',
    headers: { 'x-api-key': keys[0]! },
    body: JSON.stringify({ user_id: 7, topic_id: 5, course_id: 2 }),
  });
  sessionId = JSON.parse(started.body).id;
});
afterAll(() => t?.close());

const bodies: Record<string, string> = {
  '/api/sessions/start': JSON.stringify({ user_id: 7, topic_id: 5, course_id: 2 }),
  '/api/sessions/{id}/message': JSON.stringify({ message: 'string' }),
};

/** The ways a client can write a path that a lenient router might still take for it. */
function spellings(path: string): string[] {
  const encodeFirst = (segment: string) => (/^[a-z]/i.test(segment) ? `%${segment.charCodeAt(0).toString(16)}${segment.slice(1)}` : segment);
  const encodeAll = (segment: string) => [...segment].map((char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`).join('');
  const segments = path.split('/');
  return [
    path,
    segments.map(encodeFirst).join('/'),
    segments.map(encodeAll).join('/'),
    `http://127.0.0.1:${port}${path}`,
    `http://somewhere-else.example${path}`,
    `/${path}`,
    `${path}/`,
    path.replace('/api/', '/api/./'),
    path.replace('/api/', '/api/health/../'),
    path.replace('/api/', '/API/'),
    `${path}?x=/api/health`,
    `${path};/api/health`,
  ];
}

describe('every route of the OpenAPI document', () => {
  it('refuses a request without valid credentials under every spelling of its path, and changes nothing', async () => {
    const doc = JSON.parse((await rawRequest(port, { target: '/openapi.json' })).body) as { paths: Record<string, Record<string, unknown>> };
    // /app/config.json tells the web app how to sign in, before it has credentials.
    const publicPaths = new Set(['/', '/api/health', '/api/ready', '/app/config.json']);
    const routes = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ path, method: method.toUpperCase() })));
    expect(routes.length).toBeGreaterThanOrEqual(8);
    const before = await rowCounts(t.testDatabase.database.db);

    const reached: string[] = [];
    for (const { path, method } of routes) {
      const concrete = path.replace('{id}', String(sessionId));
      for (const target of spellings(concrete)) {
        const send = (headers: Record<string, string>) => rawRequest(port, { method, target, headers, body: bodies[path] });
        const anonymous = await send({});
        const withWrongKey = await send({ 'x-api-key': 'not-a-key' });
        if (publicPaths.has(path)) {
          expect([200, 404, 503], `${method} ${target}`).toContain(anonymous.status);
          continue;
        }
        // Either the router does not take this spelling for any caller, or it takes it and asks for credentials.
        if (anonymous.status === 404) {
          expect(JSON.parse(anonymous.body).code, `${method} ${target}`).toBe('not_found');
          continue;
        }
        reached.push(`${method} ${target}`);
        expect(anonymous.status, `${method} ${target}`).toBe(401);
        expect(withWrongKey.status, `${method} ${target}`).toBe(401);
      }
    }
    // Spellings the router accepts are refused too, not only the canonical one.
    expect(reached).toContain(`GET http://somewhere-else.example/api/sessions/${sessionId}`);
    expect(reached).toContain(`GET /%61pi/%73essions/${sessionId}`);
    expect(await rowCounts(t.testDatabase.database.db)).toEqual(before);
  });

  it('serves the documentation and the probes without credentials', async () => {
    for (const target of ['/', '/api/health', '/api/ready', '/openapi.json', '/docs/', '/redoc', '/metrics', '/%61pi/health']) {
      expect((await rawRequest(port, { target })).status, target).toBe(200);
    }
  });
});

describe('credentials', () => {
  const read = (headers: Record<string, string>) => rawRequest(port, { target: `/api/sessions/${sessionId}`, headers });
  const bearer = async (claims: Record<string, unknown>, shape?: Parameters<typeof token>[1]) => ({
    authorization: `Bearer ${await token(claims, shape)}`,
  });

  it('accepts either service key while one is rotated', async () => {
    for (const key of keys) expect((await read({ 'x-api-key': key })).status).toBe(200);
    expect((await read({ 'x-api-key': `${keys[0]},${keys[1]}` })).status).toBe(401);
  });

  it('accepts a token of the session’s learner, whose id is a JSON number or a plain decimal string', async () => {
    expect((await read(await bearer({ sub: '7' }))).status).toBe(200);
    expect((await read(await bearer({ sub: 7 }))).status).toBe(200);
    expect((await read(await bearer({ sub: '8' }))).status).toBe(404);
  });

  it.each([['0x7'], ['7e0'], ['+7'], ['07'], [' 7'], ['7 '], ['7.0'], [[7]], [true], [7.5], [0], ['0'], [2147483648], ['2147483648'], [null]])(
    '401 for a user id claim of %j: nothing is coerced into a user',
    async (sub) => {
      expect((await read(await bearer({ sub }))).status).toBe(401);
    },
  );

  it('401 for a token without exp, or issued beyond the clock tolerance in the future', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await read(await bearer({ sub: '7' }, { exp: null }))).status).toBe(401);
    expect((await read(await bearer({ sub: '7' }, { iat: now + 3600, exp: now + 7200 }))).status).toBe(401);
    expect((await read(await bearer({ sub: '7' }, { iat: now + 30 }))).status).toBe(200);
    expect((await read(await bearer({ sub: '7' }, { exp: now - 3600 }))).status).toBe(401);
  });

  it('accepts a token without exp when AUTH_JWT_REQUIRE_EXP=false', async () => {
    const relaxed = await buildTestApp({ AUTH_JWT_SECRET: secret, AUTH_JWT_REQUIRE_EXP: 'false' });
    try {
      const headers = await bearer({ sub: '7' }, { exp: null });
      expect((await relaxed.app.inject({ url: '/api/sessions?user_id=7', headers })).statusCode).toBe(200);
    } finally {
      await relaxed.close();
    }
  });
});

describe('path and query ids', () => {
  it.each(['0x1', '1e0', '+1', '01', '00001', '1.0', ' 1', '1%20', '%31', '0', '-1', '2147483648', '99999999999'])(
    '422 for a session id written %j: a session has one URL',
    async (written) => {
      const response = await t.app.inject({ url: `/api/sessions/${written}`, headers: { 'x-api-key': keys[0]! } });
      // %31 decodes to "1" before validation: the router's decoding is not an alias of the id's own spelling.
      if (written === '%31') expect(response.statusCode).toBe(200);
      else expect(response.json()).toMatchObject({ status: 422, code: 'validation_failed' });
    },
  );

  it('422 for a query id or limit that is not a canonical decimal integer', async () => {
    for (const query of ['user_id=0x7', 'user_id=7e0', 'user_id=07', 'limit=1e1', 'before=+5']) {
      const response = await t.app.inject({ url: `/api/sessions?${query}`, headers: { 'x-api-key': keys[0]! } });
      expect(response.statusCode, query).toBe(422);
    }
  });
});

describe('rate limits', () => {
  it('count a caller’s requests by route, however the path is spelled', async () => {
    const limited = await buildTestApp({ RATE_LIMIT_PER_IP_PER_MINUTE: '3', SERVICE_API_KEY: keys[0]! });
    try {
      await limited.app.listen({ host: '127.0.0.1', port: 0 });
      const own = (limited.app.server.address() as AddressInfo).port;
      const statuses = [];
      for (const target of ['/api/sessions/1', '/%61pi/sessions/1', `http://elsewhere.example/api/sessions/1`, '/api/%73essions/1']) {
        statuses.push((await rawRequest(own, { target })).status);
      }
      expect(statuses).toEqual([401, 401, 401, 429]);
      // Unknown routes count as well: scanning for them spends the same budget.
      const scanner = { 'x-forwarded-for': 'ignored' };
      const scans = [];
      for (let i = 0; i < 4; i++) scans.push((await limited.app.inject({ url: `/nothing-here-${i}`, remoteAddress: '10.7.7.7', headers: scanner })).statusCode);
      expect(scans).toEqual([404, 404, 404, 429]);
    } finally {
      await limited.close();
    }
  });
});
