import type { PGlite } from '@electric-sql/pglite';
import type { ExtractTablesWithRelations, Logger } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import type { Pool } from 'pg';
import type { Logger as PinoLogger } from 'pino';
import type { DatabaseConfig } from '../config.js';
import * as schema from './schema.js';

export type Schema = typeof schema;
/** A database handle or an open transaction: query modules accept either. Both drivers share this type. */
export type Db = PgDatabase<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;

/**
 * Statements built once for each database handle and reused: Drizzle's prepared queries belong to the handle they
 * were built on. The ones a turn runs on every message are built this way, so their SQL is not rebuilt each time
 * and, on PostgreSQL, each connection parses and plans them once.
 */
export function preparedFor<T>(build: (db: Db) => T): (db: Db) => T {
  const built = new WeakMap<Db, T>();
  return (db) => {
    let statements = built.get(db);
    if (statements === undefined) {
      statements = build(db);
      built.set(db, statements);
    }
    return statements;
  };
}

export interface Database {
  readonly kind: DatabaseConfig['kind'];
  readonly db: Db;
  /** Runs `fn` while holding a lock that serializes migrations across every process sharing the database. */
  withMigrationLock<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface DatabaseEvents {
  onPoolError(error: Error): void;
  /**
   * Every statement with its parameters, as sent: the query log that `npm run bench` replays. `name` is the
   * prepared statement's, on PostgreSQL: a connection parses and plans it once, then only executes it.
   */
  onQuery?(sql: string, params: unknown[], name?: string): void;
}

/** Events of the database connection, logged. Statements carry learner text: only the trace level logs them. */
export function databaseEvents(log: PinoLogger): DatabaseEvents {
  return {
    onPoolError: (error) => log.error({ err: error }, 'PostgreSQL pool: idle connection failed'),
    onQuery: log.isLevelEnabled('trace') ? (sql, params, name) => log.trace({ sql, params, name }, 'sql') : undefined,
  };
}

/** Each driver is loaded only when it is used: start-up time. */
export async function openDatabase(config: DatabaseConfig, events: DatabaseEvents): Promise<Database> {
  if (config.kind === 'postgres') return openPostgres(config, events);
  const { openPglite } = await import('./pglite-template.js');
  return pgliteDatabase(await openPglite(config.dataDir), events);
}

async function openPostgres(config: Extract<DatabaseConfig, { kind: 'postgres' }>, events: DatabaseEvents): Promise<Database> {
  const [{ default: pg }, { drizzle: drizzlePg }] = await Promise.all([import('pg'), import('drizzle-orm/node-postgres')]);
  const pool = new pg.Pool({ connectionString: config.url, max: config.poolSize });
  // An idle client losing its connection emits here; unhandled, it would crash the process.
  pool.on('error', (error) => events.onPoolError(error));
  if (events.onQuery) logQueries(pool, events.onQuery);
  return {
    kind: 'postgres',
    db: drizzlePg({ client: pool, schema }) as unknown as Db,
    async withMigrationLock(fn) {
      const client = await pool.connect();
      try {
        await client.query("SELECT pg_advisory_lock(hashtext('ai-training-service:migrations'))");
        return await fn();
      } finally {
        await client.query("SELECT pg_advisory_unlock(hashtext('ai-training-service:migrations'))").catch(() => {});
        client.release();
      }
    },
    close: once(() => pool.end()),
  };
}

/** Wraps an open PGlite instance: `openDatabase` does so for the data directory, tests for an in-memory copy. */
export function pgliteDatabase(client: PGlite, events?: Pick<DatabaseEvents, 'onQuery'>): Database {
  return {
    kind: 'pglite',
    db: drizzlePglite({ client, schema, logger: queryLogger(events) }) as unknown as Db,
    // One embedded database belongs to one process: there is nobody to serialize with.
    withMigrationLock: (fn) => fn(),
    close: once(() => client.close()),
  };
}

/**
 * Logs each statement a pooled connection sends, as `pg` is given it: Drizzle's own query log does not tell a
 * prepared statement from a one-off, and a replay that parsed and planned every statement anew would make PostgreSQL
 * do more than the service makes it do (BENCHMARKS.md, Method).
 */
function logQueries(pool: Pool, onQuery: NonNullable<DatabaseEvents['onQuery']>): void {
  pool.on('connect', (client) => {
    const send = client.query.bind(client) as (config: unknown, values?: unknown, callback?: unknown) => unknown;
    client.query = ((config: string | { text: string; name?: string; values?: unknown[] }, values?: unknown, callback?: unknown) => {
      const statement = typeof config === 'string' ? { text: config } : config;
      onQuery(statement.text, (Array.isArray(values) ? values : statement.values) ?? [], statement.name);
      return send(config, values, callback);
    }) as typeof client.query;
  });
}

function queryLogger(events?: Pick<DatabaseEvents, 'onQuery'>): Logger | undefined {
  const onQuery = events?.onQuery;
  return onQuery && { logQuery: (query, params) => onQuery(query, params) };
}

/** Closing twice (a failed start-up, then the shutdown path) must not throw. */
function once(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => (closing ??= close());
}
