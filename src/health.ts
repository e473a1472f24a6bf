import { sql } from 'drizzle-orm';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { CircuitStatus, Reachability } from './curriculum/dotnet-client.js';
import type { Database } from './db/client.js';
import { pendingMigrations } from './db/migrate.js';
import { backlog } from './db/outbox.js';

export interface CheckResult {
  ok: boolean;
  detail?: string;
}

/** What /api/health and /api/ready ask of the service's dependencies, each answer bounded in time. */
export interface HealthChecks {
  databaseKind: Database['kind'];
  database(): Promise<CheckResult>;
  migrations(): Promise<CheckResult>;
  /** With a .NET backend. */
  dotnet?(): Promise<CheckResult>;
  dotnetCircuit?(): CircuitStatus;
  /** With REDIS_URL. */
  redis?(): Promise<CheckResult>;
  /** With a .NET backend: the notices not yet delivered; undefined when the database cannot say. */
  outbox?(): Promise<Awaited<ReturnType<typeof backlog>> | undefined>;
}

export interface HealthDeps {
  database: Database;
  dotnet?: { circuit(): CircuitStatus; reachability(timeoutMs: number): Promise<Reachability> };
  redis?: Redis;
  /** Longest wait for each check (READY_CHECK_TIMEOUT_MS): a silent dependency fails its check, not the probe. */
  timeoutMs: number;
  log: Logger;
}

export function createHealthChecks({ database, dotnet, redis, timeoutMs, log }: HealthDeps): HealthChecks {
  const bounded = (what: string, check: () => Promise<CheckResult>) => {
    let inFlight: Promise<CheckResult> | undefined;
    const run = () =>
      withTimeout(check(), timeoutMs).then(
        (result) => result ?? { ok: false, detail: `no answer within ${timeoutMs} ms` },
        (error: unknown) => {
          log.warn({ err: error instanceof Error ? error.message : String(error) }, `health check: ${what} unavailable`);
          return { ok: false, detail: 'unreachable' };
        },
      );
    // Probes are public: concurrent ones share the check in flight, so that a flood of them is not one of queries.
    return () => (inFlight ??= run().finally(() => (inFlight = undefined)));
  };
  return {
    databaseKind: database.kind,
    database: bounded('database', async () => {
      await database.db.execute(sql`select 1`);
      return { ok: true };
    }),
    migrations: bounded('migrations', async () => {
      const pending = await pendingMigrations(database);
      return pending === 0 ? { ok: true } : { ok: false, detail: `${pending} migration(s) not applied` };
    }),
    ...(dotnet
      ? {
          dotnet: bounded('.NET backend', async () => {
            const { reachable, detail } = await dotnet.reachability(timeoutMs);
            return reachable ? { ok: true } : { ok: false, detail: detail ?? 'unreachable' };
          }),
          dotnetCircuit: () => dotnet.circuit(),
          outbox: () => withTimeout(backlog(database.db), timeoutMs).catch(() => undefined),
        }
      : {}),
    ...(redis
      ? {
          redis: bounded('Redis', async () => {
            await redis.ping();
            return { ok: true };
          }),
        }
      : {}),
  };
}

/** The promise's value, or undefined if it takes longer than `ms` (it is left to finish on its own). */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
