import type { ExportRow } from '../db/export.js';

export type ExportFormat = 'jsonl' | 'csv';

const csvColumns = ['session_id', 'user_id', 'course_id', 'topic_id', 'session_status', 'started_at', 'completed_at', 'message_id', 'role', 'kind', 'content', 'timestamp'];

/**
 * A CSV field: quoted when it holds a comma, a semicolon (the separator of spreadsheets in many locales), a tab, a
 * quote or a line break; a text starting with =, +, -, @ or a tab is prefixed with ' so that a spreadsheet shows it
 * rather than runs it as a formula.
 */
function csvField(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",;\t\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * The export's text, batch by batch. JSON Lines: a `session` line before each session's `message` lines, and a last
 * `end` line with the counts (an export cut short, by the network or a failure, has none). CSV: a header, then one row
 * per message with its session's columns.
 */
export async function* formatExport(batches: AsyncIterable<ExportRow[]>, format: ExportFormat): AsyncGenerator<string> {
  if (format === 'csv') yield `${csvColumns.join(',')}\r\n`;
  let session: number | undefined;
  let sessions = 0;
  let messages = 0;
  for await (const rows of batches) {
    messages += rows.length;
    let chunk = '';
    for (const row of rows) {
      const timestamps = { started_at: row.startedAt.toISOString(), completed_at: row.completedAt?.toISOString() ?? null, timestamp: row.createdAt.toISOString() };
      if (format === 'csv') {
        const fields = [row.sessionId, row.userId, row.courseId, row.topicId, row.status, timestamps.started_at, timestamps.completed_at, row.messageId, row.role, row.kind, row.content, timestamps.timestamp];
        chunk += `${fields.map(csvField).join(',')}\r\n`;
        continue;
      }
      if (row.sessionId !== session) {
        session = row.sessionId;
        sessions++;
        chunk += `${JSON.stringify({
          type: 'session',
          id: row.sessionId,
          user_id: row.userId,
          course_id: row.courseId,
          topic_id: row.topicId,
          status: row.status,
          started_at: timestamps.started_at,
          completed_at: timestamps.completed_at,
        })}\n`;
      }
      chunk += `${JSON.stringify({ type: 'message', session_id: row.sessionId, id: row.messageId, role: row.role, kind: row.kind, content: row.content, timestamp: timestamps.timestamp })}\n`;
    }
    yield chunk;
  }
  if (format === 'jsonl') yield `${JSON.stringify({ type: 'end', sessions, messages })}\n`;
}
