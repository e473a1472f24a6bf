import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

/** One statement as the service logged it (LOG_LEVEL=trace): its text and parameters, as sent. */
export interface Statement {
  sql: string;
  params: unknown[];
}

/** What one request executed: statements outside transactions, and transactions, in order. */
export type Unit = Statement | Statement[];

/** The statements the service logged for the request `requestId`, read from its log file. */
export function capturedStatements(logFile: string, requestId: string): Statement[] {
  const statements: Statement[] = [];
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes('"msg":"sql"')) continue;
    const entry = JSON.parse(line) as Statement & { requestId?: string };
    if (entry.requestId === requestId) statements.push({ sql: entry.sql, params: entry.params });
  }
  if (statements.length === 0) throw new Error(`no SQL logged for request ${requestId} in ${logFile}`);
  return statements;
}

/**
 * Groups the statements between `begin` and `commit` into transactions, and finds where the session's id
 * goes by comparing the same request captured on two sessions, so that each replaying worker works on a
 * session of its own, as the load does. Everything else is replayed as captured from the first.
 */
export function replayPlan(first: { statements: Statement[]; sessionId: number }, second: { statements: Statement[]; sessionId: number }) {
  const sameShape =
    first.statements.length === second.statements.length &&
    first.statements.every((statement, i) => statement.sql === second.statements[i]!.sql);
  if (!sameShape) throw new Error('the two captured requests executed different statements');
  const sessionSlots = first.statements.map((statement, i) =>
    statement.params.map((param, j) => param === first.sessionId && second.statements[i]!.params[j] === second.sessionId),
  );
  const bind = (i: number, sessionId: number): Statement => ({
    ...first.statements[i]!,
    params: first.statements[i]!.params.map((param, j) => (sessionSlots[i]![j] ? sessionId : param)),
  });
  return (sessionId: number): Unit[] => {
    const units: Unit[] = [];
    let transaction: Statement[] | undefined;
    first.statements.forEach((statement, i) => {
      const keyword = statement.sql.trim().toLowerCase();
      if (keyword === 'begin') transaction = [];
      else if (keyword === 'commit') {
        units.push(transaction!);
        transaction = undefined;
      } else (transaction ?? units).push(bind(i, sessionId));
    });
    return units;
  };
}

/** Runs requests' statements on a database, as the service's driver would send them. */
export interface SqlRunner {
  run(units: Unit[]): Promise<void>;
  query(statement: Statement): Promise<void>;
  close(): Promise<void>;
}

/**
 * A statement as `pg` takes it, prepared under a name of its text: each connection parses and plans it once, as
 * the service's connections do its prepared statements (and the replay, the rest too: the raw side is the ideal).
 */
const asSent = (statement: Statement) => ({
  name: `replay_${createHash('sha1').update(statement.sql).digest('hex').slice(0, 16)}`,
  text: statement.sql,
  values: statement.params,
});

/** `pg` with the service's pool size: statements alone on any pooled client, transactions on one. */
export function pgRunner(url: string, poolSize: number): SqlRunner {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // Without a listener, an idle client's error (the run failing and its database dropped) would crash the process
  // and hide the failure itself.
  pool.on('error', () => {});
  return {
    async run(units) {
      for (const unit of units) {
        if (!Array.isArray(unit)) {
          await pool.query(asSent(unit));
          continue;
        }
        const client = await pool.connect();
        try {
          await client.query('begin');
          for (const statement of unit) await client.query(asSent(statement));
          await client.query('commit');
        } finally {
          client.release();
        }
      }
    },
    query: async (statement) => void (await pool.query(asSent(statement))),
    close: () => pool.end(),
  };
}

/** PGlite in this process: one connection, so a transaction holds it exclusively, as in the service. */
export function pgliteRunner(db: PGlite): SqlRunner {
  return {
    async run(units) {
      for (const unit of units) {
        if (!Array.isArray(unit)) await db.query(unit.sql, unit.params);
        else await db.transaction(async (tx) => {
          for (const statement of unit) await tx.query(statement.sql, statement.params);
        });
      }
    },
    query: async (statement) => void (await db.query(statement.sql, statement.params)),
    close: () => db.close(),
  };
}

/** Replays one request per session from `workers` concurrent workers for `seconds`; requests per second. */
export async function replayRate(runner: SqlRunner, plan: (sessionId: number) => Unit[], sessions: number[], workers: number, seconds: number): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  const started = performance.now();
  await Promise.all(
    sessions.slice(0, workers).map(async (sessionId) => {
      const units = plan(sessionId);
      while (performance.now() < deadline) {
        await runner.run(units);
        done++;
      }
    }),
  );
  return done / ((performance.now() - started) / 1000);
}
