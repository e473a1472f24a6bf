import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatSessions, outbox } from '../../src/db/schema.js';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import { startGeminiDouble, type GeminiDouble } from '../support/gemini-double.js';
import { expectProblem } from '../support/requests.js';
import { scriptedTutor } from '../support/scripted-gemini.js';

// Export and erasure (admins only), and the purge of sessions past RETENTION_DAYS.

const secret = 'a-test-secret-of-at-least-32-characters!';
const adminKey = 'the-admin-key-of-the-operators';
const serviceKey = 'the-service-key-of-the-backend';
const asAdmin = { 'x-api-key': adminKey };
let gemini: GeminiDouble;
let t: TestApp;

beforeAll(async () => {
  gemini = await startGeminiDouble(scriptedTutor);
  t = await buildTestApp({
    GEMINI_API_KEY: 'k',
    GEMINI_BASE_URL: gemini.url,
    LLM_MAX_RETRIES: '0',
    AUTH_JWT_SECRET: secret,
    ADMIN_API_KEY: adminKey,
    SERVICE_API_KEY: serviceKey,
    REDIS_URL: 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: `test-${randomBytes(6).toString('hex')}:`,
    RATE_LIMIT_PER_MINUTE: '1000',
    EVENTS_WEBHOOK_URL: 'http://127.0.0.1:9/never-called',
    EVENTS_WEBHOOK_SECRET: `whsec_${randomBytes(24).toString('base64')}`,
  });
});
afterAll(async () => {
  await t?.close();
  await gemini?.close();
});

const tokenOf = async (userId: number) => ({
  authorization: `Bearer ${await new SignJWT({ sub: String(userId) }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(secret))}`,
});

/** A learner who leaves a trace in every table: sessions, graded answers, a completion, a flag, idempotent and streamed requests. */
async function learnerWithEverything(userId: number): Promise<number[]> {
  const headers = await tokenOf(userId);
  const post = (url: string, payload: Record<string, unknown>, extra: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url, payload, headers: { ...headers, ...extra } });
  const first = (await post('/api/sessions/start', { user_id: userId, topic_id: 5, course_id: 2 }, { 'idempotency-key': `start-${userId}` })).json();
  await post(`/api/sessions/${first.id}/message`, { message: 'It is a string' }, { 'idempotency-key': `answer-${userId}` });
  await post(`/api/sessions/${first.id}/message`, { message: 'It is an integer' }); // completes the topic
  const second = (await post('/api/sessions/start', { user_id: userId, topic_id: 6, course_id: 2 })).json();
  await post(`/api/sessions/${second.id}/message`, { message: "you're so stupid" }, { accept: 'text/event-stream' });
  // A notice for the .NET backend about them, as a deployment with one would hold.
  await t.testDatabase.database.db.insert(outbox).values({ sessionId: first.id, payload: { UserId: userId } });
  return [first.id, second.id];
}

/** Every row, in every table, that refers to the learner or their sessions. */
async function rowsAbout(userId: number, sessionIds: number[]): Promise<Record<string, number>> {
  const db = t.testDatabase.database.db;
  const ids = sql.raw(sessionIds.join(','));
  const count = async (query: ReturnType<typeof sql>) => Number(((await db.execute(query)) as unknown as { rows: { n: string }[] }).rows[0]!.n);
  return {
    chat_sessions: await count(sql`select count(*) as n from chat_sessions where user_id = ${userId} or id in (${ids})`),
    chat_messages: await count(sql`select count(*) as n from chat_messages where session_id in (${ids})`),
    session_contexts: await count(sql`select count(*) as n from session_contexts where session_id in (${ids})`),
    assessments: await count(sql`select count(*) as n from assessments where session_id in (${ids})`),
    message_kinds: await count(sql`select count(*) as n from message_kinds where session_id in (${ids})`),
    model_calls: await count(sql`select count(*) as n from model_calls where user_id = ${userId} or session_id in (${ids})`),
    safety_flags: await count(sql`select count(*) as n from safety_flags where user_id = ${userId} or session_id in (${ids})`),
    reply_streams: await count(sql`select count(*) as n from reply_streams where session_id in (${ids})`),
    topic_completions: await count(sql`select count(*) as n from topic_completions where user_id = ${userId} or session_id in (${ids})`),
    objective_mastery: await count(sql`select count(*) as n from objective_mastery where user_id = ${userId}`),
    outbox: await count(sql`select count(*) as n from outbox where session_id in (${ids}) or payload::text like ${`%"UserId": ${userId}%`}`),
    webhook_events: await count(sql`select count(*) as n from webhook_events where user_id = ${userId} or session_id in (${ids})`),
    idempotency_keys: await count(
      sql`select count(*) as n from idempotency_keys where scope like ${`user:${userId} %`} or response::text like ${`%"user_id": ${userId}%`} or key like ${`%-${userId}`}`,
    ),
  };
}

describe('DELETE /api/admin/learners/{user_id}', () => {
  it('erases every row about the learner, table by table, and their Redis key; records it without content', async () => {
    const erased = 9101;
    const kept = 9102;
    const sessions = await learnerWithEverything(erased);
    const otherSessions = await learnerWithEverything(kept);
    const before = await rowsAbout(erased, sessions);
    for (const [table, n] of Object.entries(before)) expect(n, table).toBeGreaterThan(0);
    expect(await t.deps.redis!.exists(`rate-limit:user:${erased}`)).toBe(1);

    expectProblem(await t.app.inject({ method: 'DELETE', url: `/api/admin/learners/${erased}`, headers: { 'x-api-key': serviceKey } }), 403, 'forbidden');
    expectProblem(await t.app.inject({ method: 'DELETE', url: `/api/admin/learners/${erased}`, headers: await tokenOf(erased) }), 403, 'forbidden');
    const response = await t.app.inject({ method: 'DELETE', url: `/api/admin/learners/${erased}`, headers: asAdmin });
    expect(response.statusCode).toBe(200);
    const { deleted } = response.json() as { deleted: Record<string, number> };
    for (const [table, n] of Object.entries(before)) expect(deleted[table], table).toBe(n);

    expect(Object.values(await rowsAbout(erased, sessions)).every((n) => n === 0)).toBe(true);
    expect(await rowsAbout(erased, sessions)).toEqual(Object.fromEntries(Object.keys(before).map((table) => [table, 0])));
    expect(await t.deps.redis!.exists(`rate-limit:user:${erased}`)).toBe(0);
    // The other learner is untouched.
    expect(await rowsAbout(kept, otherSessions)).toEqual(await rowsAbout(kept, otherSessions));
    expect((await rowsAbout(kept, otherSessions)).chat_sessions).toBe(2);

    const audit = (await t.testDatabase.database.db.execute(sql`select erased_by, user_id_hash, salt, deleted from erasure_audit`)) as unknown as {
      rows: { erased_by: string; user_id_hash: string; salt: string; deleted: Record<string, number> }[];
    };
    expect(audit.rows).toHaveLength(1);
    const [record] = audit.rows;
    expect(record).toMatchObject({ erased_by: 'admin', deleted });
    expect(record!.user_id_hash).toBe(createHash('sha256').update(`${record!.salt}:${erased}`).digest('hex'));
    expect(JSON.stringify(record)).not.toContain(String(erased));

    // Erasing again finds nothing, and says so.
    const again = (await t.app.inject({ method: 'DELETE', url: `/api/admin/learners/${erased}`, headers: asAdmin })).json();
    expect(Object.values(again.deleted).every((n) => n === 0)).toBe(true);
  });
});

describe('GET /api/admin/export', () => {
  it('streams sessions and their messages as JSON Lines, filtered', async () => {
    const [sessionId] = await learnerWithEverything(9201);
    const response = await t.app.inject({ url: '/api/admin/export?course_id=2', headers: asAdmin });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    expect(response.headers['content-disposition']).toMatch(/^attachment; filename="ai-training-export-.+\.jsonl"$/);
    const lines = response.body.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const at = lines.findIndex((line) => line.type === 'session' && line.id === sessionId);
    expect(lines[at]).toMatchObject({ user_id: 9201, course_id: 2, topic_id: 5, status: 'completed' });
    const messages = lines.slice(at + 1).filter((line, index, all) => all.slice(0, index + 1).every((previous) => previous.type === 'message'));
    expect(messages.map((message) => [message.role, message.kind])).toEqual([
      ['assistant', null],
      ['user', 'answer'],
      ['assistant', null],
      ['user', 'answer'],
      ['assistant', null],
    ]);
    expect(messages[1]).toMatchObject({ session_id: sessionId, content: 'It is a string' });

    // The last line says the export is whole.
    expect(lines.at(-1)).toEqual({ type: 'end', sessions: lines.filter((line) => line.type === 'session').length, messages: lines.filter((line) => line.type === 'message').length });
    const empty = '{"type":"end","sessions":0,"messages":0}\n';
    expect((await t.app.inject({ url: '/api/admin/export?course_id=99', headers: asAdmin })).body).toBe(empty);
    expect((await t.app.inject({ url: '/api/admin/export?to=2000-01-01T00:00:00Z', headers: asAdmin })).body).toBe(empty);
    expectProblem(await t.app.inject({ url: '/api/admin/export', headers: { 'x-api-key': serviceKey } }), 403, 'forbidden');
    expectProblem(await t.app.inject({ url: '/api/admin/export?format=xml', headers: asAdmin }), 422, 'validation_failed');
  });

  it('streams CSV, one row per message, quoted where it must be and never a formula', async () => {
    const headers = await tokenOf(9301);
    const started = (await t.app.inject({ method: 'POST', url: '/api/sessions/start', headers, payload: { user_id: 9301, topic_id: 7, course_id: 2 } })).json();
    await t.app.inject({ method: 'POST', url: `/api/sessions/${started.id}/message`, headers, payload: { message: '=HYPERLINK("x"), then\na "quoted" line' } });
    await t.app.inject({ method: 'POST', url: `/api/sessions/${started.id}/message`, headers, payload: { message: 'x;=1+1;' } });
    const response = await t.app.inject({ url: '/api/admin/export?format=csv', headers: asAdmin });
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    const [header] = response.body.split('\r\n');
    expect(header).toBe('session_id,user_id,course_id,topic_id,session_status,started_at,completed_at,message_id,role,kind,content,timestamp');
    expect(response.body).toContain(`${started.id},9301,2,7,active,`);
    expect(response.body).toContain(`,user,answer,"'=HYPERLINK(""x""), then\na ""quoted"" line",`);
    // A semicolon separates fields in many locales' spreadsheets: such a field is quoted, so that nothing in it runs.
    expect(response.body).toContain(`,"x;=1+1;",`);
  });
});

describe('RETENTION_DAYS', () => {
  it('purges sessions started longer ago, with everything that is theirs, and keeps the others', async () => {
    const purging = await buildTestApp({ RETENTION_DAYS: '30' });
    try {
      const post = (url: string, payload: Record<string, unknown>) => purging.app.inject({ method: 'POST', url, payload });
      const old = (await post('/api/sessions/start', { user_id: 9401, topic_id: 5, course_id: 2 })).json();
      await post(`/api/sessions/${old.id}/message`, { message: 'string' });
      const recent = (await post('/api/sessions/start', { user_id: 9401, topic_id: 6, course_id: 2 })).json();
      const db = purging.testDatabase.database.db;
      await db.update(chatSessions).set({ startedAt: new Date(Date.now() - 31 * 86_400_000) }).where(sql`${chatSessions.id} = ${old.id}`);

      expect(await purging.deps.retention.runOnce()).toMatchObject({ sessions: 1 });
      const left = (await db.execute(sql`select id from chat_sessions`)) as unknown as { rows: { id: number }[] };
      expect(left.rows.map((row) => row.id)).toEqual([recent.id]);
      const messages = (await db.execute(sql`select count(*) as n from chat_messages where session_id = ${old.id}`)) as unknown as { rows: { n: string }[] };
      expect(Number(messages.rows[0]!.n)).toBe(0);
      // Once a day: the next round purges nothing, whatever it finds.
      await db.update(chatSessions).set({ startedAt: new Date(Date.now() - 31 * 86_400_000) }).where(sql`${chatSessions.id} = ${recent.id}`);
      expect(await purging.deps.retention.runOnce()).toMatchObject({ sessions: 0 });
    } finally {
      await purging.close();
    }
  });
});
