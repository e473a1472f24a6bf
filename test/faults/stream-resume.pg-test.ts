import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDotnetDouble, type DotnetDouble } from '../support/dotnet-double.js';
import { startGeminiDouble, type GeminiDouble } from '../support/gemini-double.js';
import { sendUntilDone, type Seen } from '../support/learner.js';
import { scriptedTutor } from '../support/scripted-gemini.js';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { deltaText, openSse, readUntil, type SseEvent } from '../support/sse-client.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { backendsEnv } from './consistency.js';

// Only in the PostgreSQL pass: two processes of the built service on one PostgreSQL and one Redis. The one writing
// a streamed reply is killed mid-reply; its client resumes on the other, learns the reply was interrupted, and
// resends its message with its Idempotency-Key.

const serviceKey = 'resume-key';
const reply = Array.from({ length: 12 }, (_, index) => `Sentence ${index + 1} of a reply that takes its time.`).join(' ');
let testDatabase: TestDatabase;
let dotnet: DotnetDouble;
let gemini: GeminiDouble;
let a: ServerProcess;
let b: ServerProcess;

beforeAll(async () => {
  testDatabase = await createTestDatabase();
  dotnet = await startDotnetDouble();
  dotnet.topics.set(5, { id: 5, title: 'Variables and Data Types', description: 'D', courseId: 2, courseTitle: 'Programming', learningObjectives: 'O' });
  gemini = await startGeminiDouble((request, index) =>
    request.grading ? scriptedTutor(request, index) : { text: reply, chunks: 12, chunkDelayMs: 400 },
  );
  const env = {
    DATABASE_URL: testDatabase.url!,
    REDIS_URL: 'redis://127.0.0.1:6379',
    REDIS_KEY_PREFIX: `test-${randomBytes(6).toString('hex')}:`,
    SERVICE_API_KEY: serviceKey,
    ...backendsEnv(dotnet, gemini),
  };
  [a, b] = await Promise.all([startServer(env), startServer(env)]);
});
afterAll(async () => {
  await b?.stop();
  if (a?.child.exitCode === null) await a.stop();
  await gemini?.close();
  await dotnet?.close();
  await testDatabase?.drop();
});

it('a reply whose instance is killed ends with reply_interrupted on the other; the resent message is answered once', async () => {
  const headers = { 'x-api-key': serviceKey };
  const seen: Seen = new Map();
  const client = { baseUrl: () => b.url, headers, seen };
  const started = await sendUntilDone(client, { method: 'POST', path: '/api/sessions/start', body: { user_id: 42, topic_id: 5, course_id: 2 } });
  expect(started.status).toBe(201);
  const sessionId = started.body.id as number;

  const key = randomUUID();
  const stream = await openSse(`${a.url}/api/sessions/${sessionId}/message`, {
    method: 'POST',
    headers: { ...headers, 'idempotency-key': key },
    body: { message: 'What is a variable?' },
  });
  const received: SseEvent[] = [];
  for await (const event of stream.events) {
    received.push(event);
    if (received.length === 4) break;
  }
  // Mid-reply: the instance dies, and with it the client's connection.
  a.child.kill('SIGKILL');
  stream.cut();

  const resumed = await openSse(`${b.url}/api/sessions/${sessionId}/stream`, { headers: { ...headers, 'last-event-id': received.at(-1)!.id! } });
  expect(resumed.status).toBe(200);
  const rest = await readUntil(resumed.events);
  const end = rest.at(-1)!;
  expect(end.event).toBe('error');
  expect(JSON.parse(end.data)).toMatchObject({ status: 503, code: 'reply_interrupted' });
  // Whatever the killed instance had recorded beyond what the client had, and nothing it had not written.
  expect(reply.startsWith(deltaText(received) + deltaText(rest))).toBe(true);

  // The client resends, as the error says, with the same key: answered once the killed turn's claims have lapsed.
  const resent = await sendUntilDone(client, { method: 'POST', path: `/api/sessions/${sessionId}/message`, body: { message: 'What is a variable?' }, key });
  expect(resent.status).toBe(200);
  expect(resent.body.ai_message).toBe(reply);
  const details = await sendUntilDone(client, { method: 'GET', path: `/api/sessions/${sessionId}` });
  expect(details.body.messages.map((message: { role: string }) => message.role)).toEqual(['assistant', 'user', 'assistant']);
  // Now that the reply is saved, the stream answers its done at once.
  const after = await readUntil((await openSse(`${b.url}/api/sessions/${sessionId}/stream`, { headers })).events);
  expect(after.map((event) => event.event)).toEqual(['done']);
  expect(JSON.parse(after[0]!.data)).toEqual(resent.body);
  expect(b.child.exitCode).toBeNull();
});
