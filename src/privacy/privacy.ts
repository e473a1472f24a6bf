import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Db, Transact } from '../db/client.js';
import { eraseLearner, purgeSessionsStartedBefore, type DeletedCounts } from '../db/erasure.js';
import { exportBatches, type ExportFilter } from '../db/export.js';
import { formatExport, type ExportFormat } from './export-format.js';

export type Privacy = ReturnType<typeof createPrivacy>;

/** A learner's id as the erasure audit keeps it: SHA-256 of a random salt and the id. */
export function hashUserId(userId: number, salt: string): string {
  return createHash('sha256').update(`${salt}:${userId}`).digest('hex');
}

/** Export of the conversations, erasure of a learner, and the purge of sessions past RETENTION_DAYS. */
export function createPrivacy(deps: { db: Db; transaction: Transact; redis?: Redis; log: Logger }) {
  const { db, transaction, redis, log } = deps;
  return {
    /** The sessions and messages the filter selects, as text, streamed in constant memory. */
    export: (filter: ExportFilter, format: ExportFormat) => formatExport(exportBatches(db, filter), format),

    /**
     * Erases everything the service holds about a learner, in one transaction, recorded in the erasure audit; then
     * their rate-limit count in Redis. The rows deleted, by table (all zero for a learner it never knew).
     */
    async erase(userId: number, erasedBy: string): Promise<DeletedCounts> {
      const salt = randomBytes(16).toString('hex');
      const deleted = await transaction((tx) => eraseLearner(tx, userId, { erasedBy, salt, userIdHash: hashUserId(userId, salt) }));
      if (redis) {
        // After the commit: a rollback must not have lost them. A Redis that is away loses only a minute's count.
        await redis.del(`rate-limit:user:${userId}`).catch((error: unknown) => log.warn({ err: (error as Error).message }, 'the erased learner’s rate-limit count was not deleted from Redis'));
      }
      log.info({ erasedBy, deleted }, 'a learner was erased');
      return deleted;
    },

    /** Deletes sessions started more than `days` ago, with everything that belongs to them, a batch at a time. */
    async purgeOlderThan(days: number, batch: number): Promise<number> {
      const before = new Date(Date.now() - days * 86_400_000);
      let purged = 0;
      for (;;) {
        const deleted = await transaction((tx) => purgeSessionsStartedBefore(tx, before, batch));
        purged += deleted.chat_sessions ?? 0;
        if ((deleted.chat_sessions ?? 0) < batch) return purged;
      }
    },
  };
}
