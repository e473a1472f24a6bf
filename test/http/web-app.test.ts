import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webAppDir, webAppRoutes } from '../../src/http/web-app.js';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import { expectProblem } from '../support/requests.js';

// The web app's files as the service serves them (the app itself is driven in a browser: test/web).

const secret = 'a-test-secret-of-at-least-32-characters!';
const serviceKey = 'the-service-key';

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ SERVICE_API_KEY: serviceKey, AUTH_JWT_SECRET: secret });
});
afterAll(() => t?.close());

describe('the web app at /app', () => {
  it('serves its page without credentials, under a policy that allows nothing from outside the service', async () => {
    const redirect = await t.app.inject({ url: '/app' });
    expect(redirect.statusCode).toBe(301);
    expect(redirect.headers.location).toBe('/app/');

    const page = await t.app.inject({ url: '/app/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['cache-control']).toBe('no-cache');
    const policy = String(page.headers['content-security-policy']);
    expect(policy).toContain("default-src 'self'");
    expect(policy).toContain("connect-src 'self'");
    expect(policy).not.toMatch(/https?:|unsafe-inline/);
    // Every script and style the page loads is one of the service's own files.
    const sources = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(source === 'data:,' || source.startsWith('/app/'), source).toBe(true);
  });

  it('serves the built assets as immutable, and answers 404 for any other path', async () => {
    const [asset] = readdirSync(path.join(webAppDir, 'assets')).filter((file) => file.endsWith('.js'));
    const response = await t.app.inject({ url: `/app/assets/${asset}` });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expectProblem(await t.app.inject({ url: '/app/assets/missing.js' }), 404, 'not_found');
    expectProblem(await t.app.inject({ url: '/app/../package.json' }), 404, 'not_found');
  });

  it('tells the app which credentials the API takes', async () => {
    const response = await t.app.inject({ url: '/app/config.json' });
    expect(response.json()).toEqual({ auth: { token: true, key: true, admin_key: false } });
  });

  it('never offers the service or admin key for sign-in in production, where the app is served only when asked for', async () => {
    const production = await buildTestApp({ ENVIRONMENT: 'production', SERVICE_API_KEY: serviceKey, ADMIN_API_KEY: 'the-admin-key-of-the-operators', WEB_APP_ENABLED: 'true' });
    try {
      expect((await production.app.inject({ url: '/app/config.json' })).json()).toEqual({ auth: { token: false, key: false, admin_key: false } });
    } finally {
      await production.close();
    }
  });

  it('is not served when WEB_APP_ENABLED is false', async () => {
    const off = await buildTestApp({ WEB_APP_ENABLED: 'false' });
    try {
      expectProblem(await off.app.inject({ url: '/app/' }), 404, 'not_found');
      expectProblem(await off.app.inject({ url: '/app/config.json' }), 404, 'not_found');
    } finally {
      await off.close();
    }
  });

  it('serves nothing, and says why, when the app was not built', async () => {
    const lines: string[] = [];
    const app = Fastify({ logger: { level: 'warn', stream: { write: (line: string) => lines.push(line) } } });
    await app.register(webAppRoutes({ dir: mkdtempSync(path.join(tmpdir(), 'no-web-app-')), auth: { token: false, key: false, adminKey: false } }));
    expect((await app.inject({ url: '/app/' })).statusCode).toBe(404);
    expect(lines.join('')).toContain('The web app is not built');
    await app.close();
  });
});

describe('GET /api/me', () => {
  it('names the learner a token signs in, and no learner for the service key', async () => {
    const token = await new SignJWT({ sub: '42' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(secret));
    expect((await t.app.inject({ url: '/api/me', headers: { authorization: `Bearer ${token}` } })).json()).toEqual({ kind: 'user', user_id: 42, role: 'learner', course_ids: [] });
    expect((await t.app.inject({ url: '/api/me', headers: { 'x-api-key': serviceKey } })).json()).toEqual({ kind: 'service', user_id: null, role: null, course_ids: [] });
    expectProblem(await t.app.inject({ url: '/api/me' }), 401, 'unauthorized');
  });

  it('says when no authentication is configured', async () => {
    const open = await buildTestApp();
    try {
      expect((await open.app.inject({ url: '/api/me' })).json()).toEqual({ kind: 'open', user_id: null, role: null, course_ids: [] });
    } finally {
      await open.close();
    }
  });
});
