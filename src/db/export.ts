import { and, asc, eq, gte, lt, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import { chatMessages, chatSessions, messageKinds } from './schema.js';

export interface ExportFilter {
  courseId?: number;
  /** Sessions started at or after `from`, before `to`. */
  from?: Date;
  to?: Date;
}

export interface ExportRow {
  sessionId: number;
  userId: number;
  courseId: number;
  topicId: number;
  status: string;
  startedAt: Date;
  completedAt: Date | null;
  messageId: number;
  role: string;
  kind: string | null;
  content: string;
  createdAt: Date;
  position: number;
}

/**
 * The conversations of the sessions the filter selects (system prompts excluded), in session and conversation
 * order, `batchSize` messages at a time: each batch is read after the last one's final message (keyset), so memory
 * holds one batch whatever the export's size.
 */
export async function* exportBatches(db: Db, filter: ExportFilter, batchSize = 1000): AsyncGenerator<ExportRow[]> {
  const s = chatSessions;
  const m = chatMessages;
  let after = { sessionId: 0, position: 0 };
  for (;;) {
    const rows: ExportRow[] = await db
      .select({
        sessionId: s.id,
        userId: s.userId,
        courseId: s.courseId,
        topicId: s.topicId,
        status: s.status,
        startedAt: s.startedAt,
        completedAt: s.completedAt,
        messageId: m.id,
        role: m.role,
        kind: messageKinds.kind,
        content: m.content,
        createdAt: m.createdAt,
        position: m.position,
      })
      .from(m)
      .innerJoin(s, eq(s.id, m.sessionId))
      .leftJoin(messageKinds, eq(messageKinds.messageId, m.id))
      .where(
        and(
          sql`(${m.sessionId}, ${m.position}) > (${after.sessionId}, ${after.position})`,
          sql`${m.position} > 0`,
          filter.courseId === undefined ? undefined : eq(s.courseId, filter.courseId),
          filter.from === undefined ? undefined : gte(s.startedAt, filter.from),
          filter.to === undefined ? undefined : lt(s.startedAt, filter.to),
        ),
      )
      .orderBy(asc(m.sessionId), asc(m.position))
      .limit(batchSize);
    if (rows.length === 0) return;
    yield rows;
    const last = rows.at(-1)!;
    after = { sessionId: last.sessionId, position: last.position };
  }
}
