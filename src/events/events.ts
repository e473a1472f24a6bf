import type { CompletionRecorder } from '../curriculum/curriculum.js';
import type { Db } from '../db/client.js';
import { webhookEvents } from '../db/schema.js';

/** What the service tells the platform about, through the webhook. */
export type EventType = 'topic.completed' | 'safety.flagged' | 'budget.alert';

export interface PlatformEvent {
  type: EventType;
  /** What makes it one event: the same key is queued once (a session's completion, a day's alert). */
  key: string;
  sessionId?: number;
  /** The learner it is about: their events are erased with them. */
  userId?: number;
  data: Record<string, unknown>;
}

export type Events = ReturnType<typeof createEvents>;

/**
 * Queues events for the webhook in the caller's transaction, so that an event is sent if and only if what caused it
 * was saved. Without EVENTS_WEBHOOK_URL nothing is queued. The body follows the Standard Webhooks payload shape.
 */
export function createEvents(enabled: boolean, now: () => Date = () => new Date()) {
  return {
    enabled,
    async queue(tx: Db, event: PlatformEvent): Promise<void> {
      if (!enabled) return;
      await tx
        .insert(webhookEvents)
        .values({
          eventType: event.type,
          eventKey: event.key,
          sessionId: event.sessionId,
          userId: event.userId,
          payload: { type: event.type, timestamp: now().toISOString(), data: event.data },
        })
        .onConflictDoNothing();
    },
  };
}

/** Records a completion as `recorder` does, and queues it for the webhook in the same transaction. */
export function withCompletionEvents(recorder: CompletionRecorder, events: Events): CompletionRecorder {
  return {
    async record(tx, completion) {
      await recorder.record(tx, completion);
      await events.queue(tx, {
        type: 'topic.completed',
        key: `topic.completed:${completion.sessionId}`,
        sessionId: completion.sessionId,
        userId: completion.userId,
        data: {
          user_id: completion.userId,
          course_id: completion.courseId,
          topic_id: completion.topicId,
          session_id: completion.sessionId,
          completed_at: completion.completedAt.toISOString(),
        },
      });
    },
  };
}
