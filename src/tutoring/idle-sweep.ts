import type { Logger } from 'pino';
import type { Db } from '../db/client.js';
import { abandonIdleSessions } from '../db/sessions.js';
import { periodicJob, type PeriodicJob } from '../periodic-job.js';

export type IdleSweep = PeriodicJob<number[]>;

/** Periodically abandons sessions idle longer than SESSION_IDLE_TIMEOUT_MINUTES; returns their ids. */
export function createIdleSweep(deps: { db: Db; idleMs: number; log: Logger }): IdleSweep {
  const { db, idleMs, log } = deps;
  // Often enough that a session is abandoned at most a tenth of the timeout late; at most once a minute.
  const intervalMs = Math.min(60_000, Math.max(1000, idleMs / 10));
  return periodicJob('idle sweep', intervalMs, async () => {
    const ids = await abandonIdleSessions(db, idleMs);
    if (ids.length > 0) log.info({ sessions: ids.length }, 'idle sessions abandoned');
    return ids;
  }, log);
}
