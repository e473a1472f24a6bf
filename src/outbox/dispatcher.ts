import type { Logger } from 'pino';
import type { OutboxConfig } from '../config.js';
import type { Db } from '../db/client.js';
import type { DeliveryRow, deliveryQueue } from '../db/outbox.js';

export interface Deliver {
  (payload: Record<string, unknown>, row: DeliveryRow): Promise<void>;
}

export interface OutboxDispatcher {
  start(): void;
  /** Stops polling and waits for a delivery round in progress. */
  stop(): Promise<void>;
  /** One round: dead-letters expired rows, then delivers the due ones. Tests call it directly. */
  runOnce(): Promise<{ delivered: number; failed: number; dead: number }>;
}

const batchSize = 20;

/**
 * Delivers queued notices at least once. Several instances may run one each on a shared database: rows are
 * claimed with SKIP LOCKED and a lease. Failures are retried with capped exponential backoff; rows still
 * undelivered after OUTBOX_MAX_AGE_HOURS become dead letters, logged at error level.
 */
export function createOutboxDispatcher(deps: {
  db: Db;
  /** The queue it delivers from. */
  queue: ReturnType<typeof deliveryQueue>;
  /** What its deliveries are, in the log: "completion notice", "webhook event". */
  what: string;
  deliver: Deliver;
  config: OutboxConfig;
  leaseMs: number;
  log: Logger;
}): OutboxDispatcher {
  const { db, queue, what, deliver, config, leaseMs, log } = deps;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = true;

  async function runOnce() {
    const dead = await queue.deadLetterExpired(db, config.maxAgeMs);
    for (const row of dead) {
      log.error({ outboxId: row.id, sessionId: row.sessionId, attempts: row.attempts, lastError: row.lastError }, `${what} is a dead letter`);
    }
    let delivered = 0;
    let failed = 0;
    for (const row of await queue.claimDue(db, batchSize, leaseMs)) {
      try {
        await deliver(row.payload, row);
        await queue.markDelivered(db, row.id);
        delivered++;
      } catch (error) {
        failed++;
        const delayMs = Math.min(config.maxBackoffMs, 1000 * 2 ** (row.attempts - 1)) * (0.8 + Math.random() * 0.4);
        const message = (error as Error).message;
        await queue.scheduleRetry(db, row.id, message, delayMs);
        log.warn({ outboxId: row.id, sessionId: row.sessionId, attempts: row.attempts, retryInMs: Math.round(delayMs), err: message }, `${what} not delivered`);
      }
    }
    return { delivered, failed, dead: dead.length };
  }

  function schedule() {
    if (stopped) return;
    timer = setTimeout(() => {
      running = runOnce()
        .catch((error: unknown) => log.error({ err: error }, 'outbox round failed'))
        .finally(schedule);
    }, config.pollIntervalMs);
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      // Rows left pending by an earlier run (a restart, a crash) are picked up by the first round.
      running = runOnce()
        .catch((error: unknown) => log.error({ err: error }, 'outbox round failed'))
        .finally(schedule);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
    runOnce,
  };
}
