import type { Logger } from 'pino';
import type { IdempotencyStore } from '../db/idempotency.js';
import type { ReplyStreamStore } from '../db/reply-streams.js';
import { periodicJob, type PeriodicJob } from '../periodic-job.js';

const intervalMs = 60_000;
// A round deletes in batches, so that no statement holds many rows (or the embedded database) for long.
const batch = 1000;

export interface Purged {
  keys: number;
  streams: number;
  /** Sessions past RETENTION_DAYS, on the round that purges them (once a day). */
  sessions: number;
}

const day = 86_400_000;

/**
 * Forgets what the HTTP layer keeps for a while only: the answers of Idempotency-Keys past IDEMPOTENCY_TTL_HOURS,
 * and streamed replies ended more than STREAM_RESUME_GRACE_SECONDS ago. Returns how many of each.
 */
export function createRetentionJob(deps: {
  keys: IdempotencyStore;
  streams: ReplyStreamStore;
  streamGraceMs: number;
  /** With RETENTION_DAYS: how to purge older sessions. */
  sessions?: { days: number; purge: (days: number, batch: number) => Promise<number> };
  log: Logger;
}): PeriodicJob<Purged> {
  const { keys, streams, streamGraceMs, sessions, log } = deps;
  let sessionsPurgedAt = 0;
  const drain = async (deleteBatch: () => Promise<number>) => {
    let purged = 0;
    for (let deleted = batch; deleted === batch; purged += deleted) deleted = await deleteBatch();
    return purged;
  };
  return periodicJob('purge', intervalMs, async () => {
    const purged = {
      keys: await drain(() => keys.purgeExpired(batch)),
      streams: await drain(() => streams.purge(streamGraceMs, batch)),
      sessions: 0,
    };
    if (purged.keys > 0) log.info({ keys: purged.keys }, 'expired idempotency keys purged');
    if (sessions && Date.now() - sessionsPurgedAt >= day) {
      // Once a day, even when it fails (logged): a purge that cannot finish must not start over every minute.
      sessionsPurgedAt = Date.now();
      purged.sessions = await sessions.purge(sessions.days, batch);
      if (purged.sessions > 0) log.info({ sessions: purged.sessions, retentionDays: sessions.days }, 'sessions past RETENTION_DAYS purged');
    }
    return purged;
  }, log);
}
