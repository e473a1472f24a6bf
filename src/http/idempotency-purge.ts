import type { Logger } from 'pino';
import type { IdempotencyStore } from '../db/idempotency.js';
import { periodicJob, type PeriodicJob } from '../periodic-job.js';

const intervalMs = 10 * 60_000;
// A round deletes in batches, so that no statement holds many rows (or the embedded database) for long.
const batch = 1000;

/** Forgets the answers of Idempotency-Keys past IDEMPOTENCY_TTL_HOURS; returns how many. */
export function createIdempotencyPurge(deps: { keys: IdempotencyStore; log: Logger }): PeriodicJob<number> {
  const { keys, log } = deps;
  return periodicJob('idempotency key purge', intervalMs, async () => {
    let purged = 0;
    for (let deleted = batch; deleted === batch; purged += deleted) deleted = await keys.purgeExpired(batch);
    if (purged > 0) log.info({ keys: purged }, 'expired idempotency keys purged');
    return purged;
  }, log);
}
