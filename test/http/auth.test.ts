import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import { expectProblem } from '../support/requests.js';
import { rowCounts } from '../support/snapshot.js';

const secret = 'a-test-secret-of-at-least-32-characters!';
const serviceKey = 'the-service-key';

function token(claims: Record<string, unknown>, options: { key?: Uint8Array | CryptoKey; alg?: string; expiresIn?: string } = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'HS256' })
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '5m')
    .sign(options.key ?? new TextEncoder().encode(secret));
}

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ SERVICE_API_KEY: serviceKey, AUTH_JWT_SECRET: secret });
});
afterAll(() => t?.close());

const start = (userId: number, headers: Record<string, string>) =>
  t.app.inject({ method: 'POST', url: '/api/sessions/start', headers, payload: { user_id: userId, topic_id: 5, course_id: 2 } });
const bearer = async (claims: Record<string, unknown>, options?: Parameters<typeof token>[1]) => ({
  authorization: `Bearer ${await token(claims, options)}`,
});

describe('credentials', () => {
  it('401 without credentials or with a wrong key, in the same words, and nothing changes', async () => {
    const before = await rowCounts(t.testDatabase.database.db);
    const missing = expectProblem(await start(1, {}), 401, 'unauthorized');
    const wrong = expectProblem(await start(1, { 'x-api-key': 'not-the-key' }), 401, 'unauthorized');
    expect(wrong).toEqual(missing);
    expectProblem(await t.app.inject({ url: '/api/sessions/1' }), 401, 'unauthorized');
    expect(await rowCounts(t.testDatabase.database.db)).toEqual(before);
  });

  it('leaves the liveness and readiness checks, the service page and the docs open', async () => {
    for (const url of ['/api/health', '/api/ready', '/', '/openapi.json', '/docs/']) {
      expect((await t.app.inject({ url })).statusCode, url).toBe(200);
    }
  });

  it('lets the service key act for any user', async () => {
    expect((await start(41, { 'x-api-key': serviceKey })).statusCode).toBe(201);
    expect((await start(42, { 'x-api-key': serviceKey })).statusCode).toBe(201);
  });

  it.each([
    ['expired', { sub: '7' }, { expiresIn: '-1m' }],
    ['signed with another secret', { sub: '7' }, { key: new TextEncoder().encode('another-secret-of-at-least-32-characters') }],
    ['without a usable user id', { sub: 'alice' }, {}],
  ])('401 for a token %s, even alongside a valid key', async (_case, claims, options) => {
    const headers = { ...(await bearer(claims, options)), 'x-api-key': serviceKey };
    expectProblem(await start(7, headers), 401, 'unauthorized');
  });

  it('401 for an unsigned token or a malformed Authorization header', async () => {
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"7"}').toString('base64url')}.`;
    expectProblem(await start(7, { authorization: `Bearer ${unsigned}` }), 401, 'unauthorized');
    expectProblem(await start(7, { authorization: 'Bearer' }), 401, 'unauthorized');
  });
});

describe('a learner with a token', () => {
  it('starts and reads their own sessions, but not for or of anyone else', async () => {
    const mine = await bearer({ sub: '7' });
    const started = await start(7, mine);
    expect(started.statusCode).toBe(201);
    const own = started.json().id;
    expect((await t.app.inject({ url: `/api/sessions/${own}`, headers: mine })).statusCode).toBe(200);

    expectProblem(await start(8, mine), 403, 'forbidden');

    const theirs = (await start(8, { 'x-api-key': serviceKey })).json().id;
    const read = expectProblem(await t.app.inject({ url: `/api/sessions/${theirs}`, headers: mine }), 404, 'session_not_found');
    const missing = expectProblem(await t.app.inject({ url: '/api/sessions/99999', headers: mine }), 404, 'session_not_found');
    expect(read.detail).toBe(`Session ${theirs} does not exist.`);
    expect(missing.detail).toBe('Session 99999 does not exist.');
    const before = await rowCounts(t.testDatabase.database.db);
    expectProblem(
      await t.app.inject({ method: 'POST', url: `/api/sessions/${theirs}/message`, headers: mine, payload: { message: 'string' } }),
      404,
      'session_not_found',
    );
    expect(await rowCounts(t.testDatabase.database.db)).toEqual(before);
  });

  it('is scoped to their user even when the service key is also sent', async () => {
    const theirs = (await start(9, { 'x-api-key': serviceKey })).json().id;
    const headers = { ...(await bearer({ sub: '10' })), 'x-api-key': serviceKey };
    expectProblem(await t.app.inject({ url: `/api/sessions/${theirs}`, headers }), 404, 'session_not_found');
  });
});

describe('tokens from a JWKS, with issuer, audience and a custom claim', () => {
  let jwks: Server;
  let keys: Awaited<ReturnType<typeof generateKeyPair>>;
  let withJwks: TestApp;
  beforeAll(async () => {
    keys = await generateKeyPair('ES256');
    const unrelated = await generateKeyPair('ES256');
    const published = {
      keys: [
        { ...(await exportJWK(unrelated.publicKey)), kid: 'k0', alg: 'ES256' },
        { ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'ES256' },
      ],
    };
    jwks = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(published)));
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    withJwks = await buildTestApp({
      AUTH_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`,
      AUTH_JWT_ISSUER: 'https://auth.test',
      AUTH_JWT_AUDIENCE: 'tutor',
      AUTH_USER_ID_CLAIM: 'learner_id',
    });
  });
  afterAll(async () => {
    await withJwks?.close();
    jwks?.close();
  });

  const signed = (claims: Record<string, unknown>, key: CryptoKey = keys.privateKey) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer('https://auth.test').setAudience('tutor').setExpirationTime('5m').sign(key);

  it('accepts a token signed by a published key, and refuses others', async () => {
    const ok = await withJwks.app.inject({
      method: 'POST',
      url: '/api/sessions/start',
      headers: { authorization: `Bearer ${await signed({ learner_id: 12 })}` },
      payload: { user_id: 12, topic_id: 5, course_id: 2 },
    });
    expect(ok.statusCode).toBe(201);

    const stranger = (await generateKeyPair('ES256')).privateKey;
    const forged = await withJwks.app.inject({ url: '/api/sessions/1', headers: { authorization: `Bearer ${await signed({ learner_id: 12 }, stranger)}` } });
    expectProblem(forged, 401, 'unauthorized');
    const wrongAudience = await new SignJWT({ learner_id: 12 })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer('https://auth.test')
      .setAudience('someone-else')
      .setExpirationTime('5m')
      .sign(keys.privateKey);
    expectProblem(await withJwks.app.inject({ url: '/api/sessions/1', headers: { authorization: `Bearer ${wrongAudience}` } }), 401, 'unauthorized');
  });
});

describe('a JWKS that cannot be fetched', () => {
  it('answers 503 with Retry-After, not 401: the learner is not signed out, and the log says why', async () => {
    const keys = await generateKeyPair('ES256');
    const failing = createServer((_req, res) => res.writeHead(500).end());
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(failing.address() as AddressInfo).port}/jwks.json`;
    const app = await buildTestApp({ AUTH_JWKS_URL: url });
    try {
      const token = await new SignJWT({ sub: '5' }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setExpirationTime('5m').sign(keys.privateKey);
      const erroring = await app.app.inject({ url: '/api/sessions?user_id=5', headers: { authorization: `Bearer ${token}` } });
      expectProblem(erroring, 503, 'dependency_unavailable');
      expect(erroring.headers['retry-after']).toBe('5');
      await new Promise<void>((resolve) => failing.close(() => resolve()));
      const refused = await app.app.inject({ url: '/api/sessions?user_id=5', headers: { authorization: `Bearer ${token}` } });
      expectProblem(refused, 503, 'dependency_unavailable');
      expect(app.logs).toContainEqual(expect.objectContaining({ msg: expect.stringContaining('AUTH_JWKS_URL') }));
      expect(JSON.stringify(app.logs)).not.toContain(token);
    } finally {
      await app.close();
      failing.close();
    }
  });
});

describe('production and browsers', () => {
  it('refuses to run in production without authentication, unless explicitly allowed', () => {
    expect(() => parseConfig({ ENVIRONMENT: 'production' })).toThrow(/ENVIRONMENT: production needs authentication/);
    expect(parseConfig({ ENVIRONMENT: 'production', ALLOW_UNAUTHENTICATED: 'true' }).auth.unauthenticatedInProduction).toBe(true);
    expect(parseConfig({ ENVIRONMENT: 'production', SERVICE_API_KEY: 'k' }).auth.unauthenticatedInProduction).toBe(false);
  });

  it('reads CORS_ORIGINS in the seed’s list form and as a comma list; none by default in production', () => {
    expect(parseConfig({ CORS_ORIGINS: '["https://a.test","https://b.test"]' }).corsOrigins).toEqual(['https://a.test', 'https://b.test']);
    expect(parseConfig({ CORS_ORIGINS: 'https://a.test, https://b.test' }).corsOrigins).toEqual(['https://a.test', 'https://b.test']);
    expect(parseConfig({ ENVIRONMENT: 'production', SERVICE_API_KEY: 'k' }).corsOrigins).toEqual([]);
    expect(parseConfig({}).corsOrigins).toBe(true);
  });

  it('answers CORS for allowed origins only, and sends security headers', async () => {
    const browser = await buildTestApp({ CORS_ORIGINS: 'https://learn.test', SERVICE_API_KEY: serviceKey });
    try {
      const preflight = await browser.app.inject({
        method: 'OPTIONS',
        url: '/api/sessions/start',
        headers: { origin: 'https://learn.test', 'access-control-request-method': 'POST' },
      });
      expect(preflight.statusCode).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe('https://learn.test');
      const other = await browser.app.inject({ url: '/api/health', headers: { origin: 'https://evil.test' } });
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
      expect(other.headers['x-content-type-options']).toBe('nosniff');
      expect(other.headers['x-frame-options']).toBe('SAMEORIGIN');
    } finally {
      await browser.close();
    }
  });
});
