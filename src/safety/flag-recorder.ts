import type { Counter } from 'prom-client';
import type { Db } from '../db/client.js';
import { insertFlags } from '../db/safety-flags.js';
import type { Events } from '../events/events.js';
import type { Flag } from './moderation.js';

export type FlagRecorder = ReturnType<typeof createFlagRecorder>;

/**
 * Stores a message's flags in the turn's transaction, with a `safety.flagged` event for each (the platform alerts
 * the adults who should know; the event carries ids, never the learner's words), and counts them.
 */
export function createFlagRecorder(events: Events, counter: Counter<'category' | 'severity' | 'source'>) {
  return {
    async record(tx: Db, session: { id: number; userId: number; courseId: number }, messageId: number, flags: Flag[]): Promise<void> {
      const rows = await insertFlags(
        tx,
        flags.map((flag) => ({ sessionId: session.id, messageId, userId: session.userId, courseId: session.courseId, ...flag })),
      );
      for (const row of rows) {
        counter.inc({ category: row.category, severity: row.severity, source: row.source });
        await events.queue(tx, {
          type: 'safety.flagged',
          key: `safety.flagged:${row.id}`,
          sessionId: row.sessionId,
          userId: row.userId,
          data: {
            flag_id: row.id,
            session_id: row.sessionId,
            message_id: row.messageId,
            user_id: row.userId,
            course_id: row.courseId,
            category: row.category,
            severity: row.severity,
            source: row.source,
            created_at: row.createdAt.toISOString(),
          },
        });
      }
    },
  };
}
