import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { replyStreams } from '../../src/db/schema.js';
import { buildSecondInstance, buildTestApp, type TestApp } from '../support/build-test-app.js';
import { startGeminiDouble, type GeminiBehaviour, type GeminiDouble } from '../support/gemini-double.js';
import { expectProblem, newUserId } from '../support/requests.js';
import { scriptedTutor } from '../support/scripted-gemini.js';
import { deltaText, openSse, readUntil, type SseEvent } from '../support/sse-client.js';

// Streamed replies that survive the network: a client that loses its stream, or reloads, reads the rest from
// GET /api/sessions/{id}/stream, on either of two instances of the service on one database, over real connections.

const secret = 'a-test-secret-of-at-least-32-characters!';
// A long reply, in many pieces with time between them, so that a client can be cut in the middle of it.
const longReply = Array.from({ length: 12 }, (_, index) => `Part ${index + 1} of the explanation, with ünïcødé ✓ and "quotes".`).join(' ');
const slowTutor: GeminiBehaviour = (request, index) =>
  request.grading ? scriptedTutor(request, index) : { text: longReply, chunks: 12, chunkDelayMs: 120, usage: { prompt: 100, output: 50 } };

let gemini: GeminiDouble;
let t: TestApp;
let second: { app: FastifyInstance; close(): Promise<void> };
let urlA: string;
let urlB: string;
let learner: number;
let asLearner: Record<string, string>;

beforeAll(async () => {
  gemini = await startGeminiDouble(slowTutor);
  t = await buildTestApp({ GEMINI_API_KEY: 'k', GEMINI_BASE_URL: gemini.url, LLM_MAX_RETRIES: '0', AUTH_JWT_SECRET: secret });
  second = await buildSecondInstance(t);
  urlA = await t.app.listen({ port: 0, host: '127.0.0.1' });
  urlB = await second.app.listen({ port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await second?.close();
  await t?.close();
  await gemini?.close();
});
beforeEach(async () => {
  gemini.behave(slowTutor);
  learner = newUserId();
  const token = await new SignJWT({ sub: String(learner) }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('10m').sign(new TextEncoder().encode(secret));
  asLearner = { authorization: `Bearer ${token}` };
});

const start = async () => {
  const response = await fetch(`${urlA}/api/sessions/start`, {
    method: 'POST',
    headers: { ...asLearner, 'content-type': 'application/json' },
    body: JSON.stringify({ user_id: learner, topic_id: 5, course_id: 2 }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: number }).id;
};
const send = (base: string, sessionId: number, message: string, key = randomUUID()) =>
  openSse(`${base}/api/sessions/${sessionId}/message`, { method: 'POST', headers: { ...asLearner, 'idempotency-key': key }, body: { message } });
const resume = (base: string, sessionId: number, lastEventId?: string, headers = asLearner) =>
  openSse(`${base}/api/sessions/${sessionId}/stream`, { headers: { ...headers, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) } });
const savedReply = async (sessionId: number) =>
  ((await (await fetch(`${urlA}/api/sessions/${sessionId}`, { headers: asLearner })).json()) as { messages: { content: string }[] }).messages.at(-1)!.content;

/** Reads `count` deltas of a reply, then cuts the connection, as a network that drops it would. */
async function readThenCut(stream: Awaited<ReturnType<typeof send>>, count: number): Promise<SseEvent[]> {
  const seen: SseEvent[] = [];
  for await (const event of stream.events) {
    seen.push(event);
    if (seen.length === count) break;
  }
  stream.cut();
  return seen;
}

describe('a streamed reply', () => {
  it('gives each event an id that names the turn and how much of the reply came before it', async () => {
    const sessionId = await start();
    const stream = await send(urlA, sessionId, 'What is a variable?');
    const events = await readUntil(stream.events);
    expect(events.at(-1)!.event).toBe('done');
    const turn = events[0]!.id!.split(':')[0];
    let offset = 0;
    for (const event of events) {
      if (event.event === 'delta') offset += (JSON.parse(event.data) as { text: string }).text.length;
      expect(event.id).toBe(`${turn}:${offset}`);
    }
    expect(deltaText(events)).toBe(longReply);
  });
});

describe('GET /api/sessions/{id}/stream', () => {
  it('gives a client cut mid-reply the rest from the other instance, byte for byte, then the same done', async () => {
    const sessionId = await start();
    const first = await readThenCut(await send(urlA, sessionId, 'What is a variable?'), 3);
    expect(first.every((event) => event.event === 'delta')).toBe(true);

    const resumed = await resume(urlB, sessionId, first.at(-1)!.id);
    expect(resumed.status).toBe(200);
    expect(resumed.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const rest = await readUntil(resumed.events);
    const done = rest.at(-1)!;
    expect(done.event).toBe('done');
    // Nothing lost, nothing repeated: what the client had, then the rest, is the reply.
    expect(deltaText(first) + deltaText(rest)).toBe(longReply);
    expect(JSON.parse(done.data)).toMatchObject({ session_id: sessionId, ai_message: longReply, topic_completed: false });
    expect(await savedReply(sessionId)).toBe(longReply);
    // The rest came while the reply was still being written, not only once it ended.
    expect(rest.filter((event) => event.event === 'delta').length).toBeGreaterThan(1);
  });

  it('gives a client that reloads mid-reply (no Last-Event-ID) the whole reply, on this instance too', async () => {
    const sessionId = await start();
    await readThenCut(await send(urlA, sessionId, 'What is a variable?'), 2);
    const reloaded = await readUntil((await resume(urlA, sessionId)).events);
    expect(deltaText(reloaded)).toBe(longReply);
    expect(reloaded.at(-1)!.event).toBe('done');
  });

  it('answers the last turn’s done at once when no reply is in progress, and 204 before any turn', async () => {
    const sessionId = await start();
    const none = await resume(urlB, sessionId);
    expect(none.status).toBe(204);

    const streamed = await readUntil((await send(urlA, sessionId, 'What is a variable?')).events);
    const again = await readUntil((await resume(urlB, sessionId)).events);
    expect(again.map((event) => event.event)).toEqual(['done']);
    expect(JSON.parse(again[0]!.data)).toEqual(JSON.parse(streamed.at(-1)!.data));
    // With the id of the last event the client read: nothing more, its done again.
    const after = await readUntil((await resume(urlA, sessionId, streamed.at(-1)!.id)).events);
    expect(after).toEqual([streamed.at(-1)]);
  });

  it('ends with the reply’s error, for a resuming client as for the one that streamed it', async () => {
    const sessionId = await start();
    gemini.behave((request, index) => (request.grading ? scriptedTutor(request, index) : { status: 500, message: 'model down' }));
    const streamed = await readUntil((await send(urlA, sessionId, 'What is a variable?')).events);
    expect(streamed.map((event) => event.event)).toEqual(['error']);
    expect(JSON.parse(streamed[0]!.data)).toMatchObject({ code: 'dependency_unavailable' });
    const resumed = await readUntil((await resume(urlB, sessionId, streamed[0]!.id)).events);
    expect(resumed).toEqual(streamed);
  });

  it('ends a reply whose turn no longer holds the session with reply_interrupted: the client resends', async () => {
    const sessionId = await start();
    // What an instance that died mid-reply leaves: the text it wrote, under a lease the session no longer holds.
    const turnId = randomUUID();
    await t.deps.replyStreams.writeText({ turnId, sessionId, lease: randomUUID(), text: 'Half a rep' });
    const events = await readUntil((await resume(urlB, sessionId, `${turnId}:4`)).events);
    expect(events.map((event) => [event.event, event.id])).toEqual([
      ['delta', `${turnId}:10`],
      ['error', `${turnId}:10`],
    ]);
    expect(JSON.parse(events[0]!.data)).toEqual({ text: ' a rep' });
    expect(JSON.parse(events[1]!.data)).toMatchObject({ status: 503, code: 'reply_interrupted' });
    // Without the event id, it is not the session's reply in progress: the session has had no turn.
    expect((await resume(urlB, sessionId)).status).toBe(204);
  });

  it('is the owner’s alone, and refuses an id it did not send', async () => {
    const sessionId = await start();
    const stranger = await new SignJWT({ sub: String(newUserId()) }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(secret));
    const asStranger = { url: `/api/sessions/${sessionId}/stream`, headers: { authorization: `Bearer ${stranger}` } };
    expectProblem(await t.app.inject(asStranger), 404, 'session_not_found');
    expectProblem(await t.app.inject({ url: '/api/sessions/99999/stream', headers: asLearner }), 404, 'session_not_found');
    expectProblem(await t.app.inject({ url: `/api/sessions/${sessionId}/stream` }), 401, 'unauthorized');
    for (const id of ['nonsense', `${randomUUID()}:-1`, `${randomUUID()}`, 'x:1']) {
      expectProblem(await t.app.inject({ url: `/api/sessions/${sessionId}/stream`, headers: { ...asLearner, 'last-event-id': id } }), 422, 'validation_failed');
    }
  });
});

describe('what is kept of streamed replies', () => {
  it('only while a reply goes on, and for a grace period after it ended', async () => {
    const sessionId = await start();
    const streamed = await readUntil((await send(urlA, sessionId, 'What is a variable?')).events);
    const turnId = streamed[0]!.id!.split(':')[0]!;
    const db = t.testDatabase.database.db;
    const kept = async () => (await db.select({ turnId: replyStreams.turnId }).from(replyStreams).where(eq(replyStreams.sessionId, sessionId))).map((row) => row.turnId);
    expect(await kept()).toEqual([turnId]);
    await t.deps.retention.runOnce();
    expect(await kept()).toEqual([turnId]);

    // Past the grace period (STREAM_RESUME_GRACE_SECONDS, 300 s by default), it is purged; a reply still in
    // progress is not, however long it has gone on.
    await db.update(replyStreams).set({ updatedAt: sql`now() - interval '301 seconds'` }).where(eq(replyStreams.turnId, turnId));
    gemini.behave((request, index) => ({ ...slowTutor(request, index), chunkDelayMs: 400 }));
    await readThenCut(await send(urlA, sessionId, 'And a constant?'), 2);
    const liveTurn = (await kept()).find((id) => id !== turnId)!;
    await db.update(replyStreams).set({ updatedAt: sql`now() - interval '1 hour'` }).where(eq(replyStreams.turnId, liveTurn));
    expect((await t.deps.retention.runOnce()).streams).toBe(1);
    expect(await kept()).toEqual([liveTurn]);

    // A client that comes back with the id of a purged reply gets the latest turn's done, once the turn in progress ends.
    const late = await readUntil((await resume(urlB, sessionId, streamed.at(-1)!.id)).events);
    expect(late.map((event) => event.event)).toEqual(['done']);
    expect(JSON.parse(late[0]!.data).ai_message).toBe(longReply);
  });
});
