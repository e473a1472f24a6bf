import type { Logger } from 'pino';
import type { Db } from '../db/client.js';
import { abandonIdleSessions } from '../db/sessions.js';

/** Periodically abandons sessions idle longer than SESSION_IDLE_TIMEOUT_MINUTES. Tests call `runOnce`. */
export function createIdleSweep(deps: { db: Db; idleMs: number; log: Logger }) {
  const { db, idleMs, log } = deps;
  // Often enough that a session is abandoned at most a tenth of the timeout late; at most once a minute.
  const intervalMs = Math.min(60_000, Math.max(1000, idleMs / 10));
  let timer: NodeJS.Timeout | undefined;

  async function runOnce(): Promise<number[]> {
    const ids = await abandonIdleSessions(db, idleMs);
    if (ids.length > 0) log.info({ sessions: ids.length }, 'idle sessions abandoned');
    return ids;
  }

  return {
    start() {
      timer ??= setInterval(() => void runOnce().catch((error: unknown) => log.error({ err: error }, 'idle sweep failed')), intervalMs);
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
    runOnce,
  };
}

export type IdleSweep = ReturnType<typeof createIdleSweep>;
