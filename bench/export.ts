import type { ServiceProcess } from './processes.js';
import type { SqlRunner } from './sql.js';

/** The admin key the export's service is started with. */
export const adminKey = 'bench-admin-key-0123456789';

// A learner message or a tutor reply of a typical length (about 240 characters).
const text = 'A message of a learner or of the tutor, of about the length they have in a session, with a few words more. '.repeat(2);

// The seeded sessions' course, which no other figure's learners use.
const seededCourse = 9000;

/** Adds `sessions` completed sessions of `messagesEach` messages, on a course of their own, in three statements. */
export async function seedConversations(runner: SqlRunner, sessions: number, messagesEach: number): Promise<void> {
  await runner.query({
    sql: `insert into chat_sessions (user_id, course_id, topic_id, status, conversation_length, completed_at)
          select 900000 + g, ${seededCourse}, 5, 'completed', ${messagesEach}, now() from generate_series(1, ${sessions}) g`,
    params: [],
  });
  await runner.query({
    sql: `insert into session_contexts (session_id, user_level, course_title, topic_title, topic_description, learning_objectives)
          select id, 'beginner', 'Course', 'Topic', 'Description', 'Objectives' from chat_sessions where course_id = ${seededCourse}`,
    params: [],
  });
  await runner.query({
    sql: `insert into chat_messages (session_id, role, content, position)
          select s.id, (case when g % 2 = 1 then 'assistant' else 'user' end)::message_role, $1, g
          from chat_sessions s, generate_series(1, ${messagesEach}) g where s.course_id = ${seededCourse}`,
    params: [text],
  });
  // Each learner message an answer, as the export reads it (message_kinds, beside the messages).
  await runner.query({
    sql: `insert into message_kinds (message_id, session_id, kind)
          select m.id, m.session_id, 'answer' from chat_messages m join chat_sessions s on s.id = m.session_id
          where s.course_id = ${seededCourse} and m.role = 'user'`,
    params: [],
  });
}

export interface ExportFigures {
  messages: number;
  megabytes: number;
  seconds: number;
  idle_rss_mb: number;
  peak_rss_mb: number;
  growth_mb: number;
}

/** Streams the whole export (JSON Lines) as a client reading it at its own pace would, and the service's memory meanwhile. */
export async function exportScenario(service: ServiceProcess, expectedMessages: number): Promise<ExportFigures> {
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  const idle = service.rssMb();
  service.resetPeakRss();
  const started = performance.now();
  const response = await fetch(`${service.url}/api/admin/export?format=jsonl&course_id=${seededCourse}`, { headers: { 'x-api-key': adminKey } });
  if (!response.ok) throw new Error(`export answered ${response.status}`);
  let bytes = 0;
  let messages = 0;
  let partial = '';
  const decoder = new TextDecoder();
  const reader = response.body!.getReader();
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    const chunk = read.value;
    bytes += chunk.byteLength;
    const lines = (partial + decoder.decode(chunk, { stream: true })).split('\n');
    partial = lines.pop()!;
    for (const line of lines) if (line.startsWith('{"type":"message"')) messages++;
  }
  const seconds = (performance.now() - started) / 1000;
  if (messages !== expectedMessages) throw new Error(`the export held ${messages} messages, ${expectedMessages} expected`);
  const peak = service.peakRssMb();
  return { messages, megabytes: bytes / 2 ** 20, seconds, idle_rss_mb: idle, peak_rss_mb: peak, growth_mb: peak - idle };
}
