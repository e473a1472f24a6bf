import { inspect } from 'node:util';
import type { PGlite } from '@electric-sql/pglite';
import type { ExtractTablesWithRelations, Logger } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import type { Pool, PoolClient } from 'pg';
import type { Logger as PinoLogger } from 'pino';
import type { DatabaseConfig } from '../config.js';
import { StartupError } from '../startup-error.js';
import { isDatabaseUnavailable } from './database-errors.js';
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

/** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
export type Transact = <T>(work: (tx: Db) => Promise<T>) => Promise<T>;

export interface Database {
  readonly kind: DatabaseConfig['kind'];
  readonly db: Db;
  /**
   * A transaction. On PostgreSQL, a connection that failed or timed out during it is discarded rather than given
   * back to the pool, where a statement still waiting on a silent server would hold up the next user.
   */
  transaction: Transact;
  /** Runs `fn` while holding a lock that serializes migrations across every process sharing the database. */
  withMigrationLock<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface DatabaseEvents {
  /** A pooled connection failed, idle or in use: the pool replaces it; the statement using it, if any, fails. */
  onPoolError(error: Error): void;
  /** Every statement with its parameters, as Drizzle sends it: the query log that `npm run bench` replays. */
  onQuery?(sql: string, params: unknown[]): void;
}

/** Events of the database connection, logged. Statements carry learner text: only the trace level logs them. */
export function databaseEvents(log: PinoLogger): DatabaseEvents {
  return {
    onPoolError: (error) => log.warn({ err: { message: error.message, code: (error as { code?: unknown }).code } }, 'PostgreSQL connection lost'),
    onQuery: log.isLevelEnabled('trace') ? (sql, params) => log.trace({ sql, params }, 'sql') : undefined,
  };
}

/** Each driver is loaded only when it is used: start-up time. */
export async function openDatabase(config: DatabaseConfig, events: DatabaseEvents): Promise<Database> {
  if (config.kind === 'postgres') return openPostgres(config, events);
  const [{ openPglite }, { lockDataDir }] = await Promise.all([import('./pglite-template.js'), import('./data-dir-lock.js')]);
  const { dataDir } = config;
  try {
    const lock = lockDataDir(dataDir);
    try {
      return pgliteDatabase(await openPglite(dataDir), events, () => lock.release());
    } catch (error) {
      lock.release();
      throw error;
    }
  } catch (error) {
    if (error instanceof StartupError) throw error;
    const { code, message } = (error ?? {}) as { code?: string; message?: string };
    throw new StartupError(
      `DATA_DIR ${dataDir} cannot hold the embedded database (${code ? `${code}: ` : ''}${message ?? String(error)}): ` +
        'make it a directory this user can write, or set DATA_DIR (or DATABASE_URL)',
      { cause: error },
    );
  }
}

async function openPostgres(config: Extract<DatabaseConfig, { kind: 'postgres' }>, events: DatabaseEvents): Promise<Database> {
  const [{ default: pg }, { drizzle: drizzlePg }] = await Promise.all([import('pg'), import('drizzle-orm/node-postgres')]);
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolSize,
    // Bounds the wait for a connection, new or from the pool: a database that does not answer fails the request.
    connectionTimeoutMillis: config.connectTimeoutMs,
    // The server cuts a statement or an idle transaction that runs too long...
    statement_timeout: config.statementTimeoutMs,
    idle_in_transaction_session_timeout: config.idleInTransactionTimeoutMs,
    // ...and the client stops waiting for one whose server has gone silent (a partition), a little later.
    query_timeout: config.statementTimeoutMs + 2_000,
    keepAlive: true,
    // How operators find the service's connections in pg_stat_activity (an application_name in DATABASE_URL wins).
    application_name: 'ai-training-service',
  });
  // A connection that fails emits an error. pg's pool listens only while the connection is idle: one failing while
  // a request holds it (a reset mid-transaction) would otherwise be an unhandled 'error' event that ends the process.
  // The statement in flight fails on its own; the pool discards the connection when it is given back.
  pool.on('connect', (client) => client.on('error', (error) => events.onPoolError(error)));
  pool.on('error', (error) => events.onPoolError(error));
  await checkConnection(pool, config);
  const logger = queryLogger(events);
  return {
    kind: 'postgres',
    db: drizzlePg({ client: pool, schema, logger }) as unknown as Db,
    async transaction(work) {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        return await (drizzlePg({ client, schema, logger }) as unknown as Db).transaction(work);
      } catch (error) {
        if (isDatabaseUnavailable(error)) broken = error as Error;
        throw error;
      } finally {
        client.release(broken);
      }
    },
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

/** Fails the start with one line saying what to fix, when PostgreSQL cannot be reached or refuses us. */
async function checkConnection(pool: Pool, config: Extract<DatabaseConfig, { kind: 'postgres' }>): Promise<void> {
  let client: PoolClient | undefined;
  try {
    client = await pool.connect();
    await client.query('select 1');
    client.release();
  } catch (error) {
    // The connection goes back first, destroyed: the pool's end waits for every connection it lent.
    client?.release(error as Error);
    await pool.end().catch(() => {});
    throw new StartupError(describeConnectionFailure(error, config), { cause: error });
  }
}

/** An error in a few words, whatever was thrown (PGlite throws plain objects for some file-system errors). */
function describeError(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : inspect(error, { depth: 1, breakLength: Infinity }).slice(0, 200);
  return typeof code === 'string' && !text.includes(code) ? `${code}: ${text}` : text;
}

function describeConnectionFailure(error: unknown, config: Extract<DatabaseConfig, { kind: 'postgres' }>): string {
  // The URL's password never appears: only its host, port, database and user.
  const url = new URL(config.url);
  const where = `PostgreSQL at ${url.hostname}:${url.port || 5432}`;
  const database = decodeURIComponent(url.pathname.slice(1)) || url.username;
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  switch (code) {
    case 'ECONNREFUSED':
      return `${where} refused the connection: start PostgreSQL there, or fix the host and port in DATABASE_URL`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${where}: the host name does not resolve; fix the host in DATABASE_URL`;
    case '3D000':
      return `${where} has no database "${database}": create it (createdb ${database}) or fix the database name in DATABASE_URL`;
    case '28P01':
    case '28000':
      return `${where} refused user "${decodeURIComponent(url.username)}": fix the user and password in DATABASE_URL`;
  }
  if (message?.includes('Query read timeout')) {
    return `${where} accepted the connection but did not answer a query within DATABASE_STATEMENT_TIMEOUT (${config.statementTimeoutMs / 1000} s): check the server, and any pooler in front of it`;
  }
  if (message?.includes('timeout')) {
    return `${where} did not answer within DATABASE_CONNECT_TIMEOUT (${config.connectTimeoutMs / 1000} s): check the host in DATABASE_URL and the network`;
  }
  return `${where} could not be used (${describeError(error)}): check DATABASE_URL`;
}

/**
 * Wraps an open PGlite instance: `openDatabase` does so for the data directory (and gives its lock back with
 * `onClose`), tests for an in-memory copy.
 */
export function pgliteDatabase(client: PGlite, events?: Pick<DatabaseEvents, 'onQuery'>, onClose: () => void = () => {}): Database {
  const db = drizzlePglite({ client, schema, logger: queryLogger(events) }) as unknown as Db;
  return {
    kind: 'pglite',
    db,
    transaction: (work) => db.transaction(work),
    // One embedded database belongs to one process: there is nobody to serialize with.
    withMigrationLock: (fn) => fn(),
    close: once(() => client.close().finally(onClose)),
  };
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
