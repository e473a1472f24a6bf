/**
 * `npm run bench [-- --quick] [-- --embedded]`: the compiled service against an LLM protocol double, each in
 * its own process, on PostgreSQL (BENCH_DATABASE_URL, or a fresh database on the local server) or PGlite.
 * Method and this machine's numbers: BENCHMARKS.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { medianCpu, withCpu, type CpuShare } from './cpu.js';
import { driveGets, driveTurns, serviceKey } from './load.js';
import { startLlmDouble, startService, type ServiceProcess } from './processes.js';
import { machine, report, type Results } from './report.js';
import { captureRequests, conversationScenario, fullSizes, median, quickSizes, slowLlmScenario, streamScenario, turnScenario, type TurnLoadFigures } from './scenarios.js';
import { pgliteRunner, pgRunner, replayPlan, replayRate, type SqlRunner } from './sql.js';

const quick = process.argv.includes('--quick');
const embedded = process.argv.includes('--embedded');
const sizes = quick ? quickSizes : fullSizes;
const poolSize = 10; // DATABASE_POOL_SIZE's default, for the service and for the raw replay alike
const log = (line: string) => console.log(line);

const work = mkdtempSync(path.join(tmpdir(), 'ai-training-bench-'));
const database = await benchDatabase();
const double = await startLlmDouble();

const storage: Record<string, string> = embedded ? { DATA_DIR: path.join(work, 'data') } : { DATABASE_URL: database.url! };

function serviceEnv(extra: Record<string, string> = {}, store: Record<string, string> = storage): Record<string, string> {
  return {
    ENVIRONMENT: 'production',
    SERVICE_API_KEY: serviceKey,
    LLM_PROVIDER: 'gemini',
    GEMINI_API_KEY: 'bench-gemini-key',
    GEMINI_BASE_URL: double.url,
    RATE_LIMIT_PER_MINUTE: '0',
    RATE_LIMIT_PER_IP_PER_MINUTE: '0',
    DATABASE_POOL_SIZE: String(poolSize),
    ...store,
    ...extra,
  };
}

try {
  log(`AI Training Service benchmark (${quick ? 'quick' : 'full'}, ${embedded ? 'embedded PGlite' : 'PostgreSQL'})`);
  const tracing = await startService(serviceEnv({ LOG_LEVEL: 'trace' }), path.join(work, 'capture.log'));
  const [first, second] = [await captureRequests(tracing, 1), await captureRequests(tracing, 2)];
  await tracing.stop();
  log(`captured: a turn runs ${first.turn.length} statements, GET /api/sessions/{id} ${first.get.length}`);
  const turnPlan = replayPlan({ statements: first.turn, sessionId: first.sessionId }, { statements: second.turn, sessionId: second.sessionId });
  const getPlan = replayPlan({ statements: first.get, sessionId: first.sessionId }, { statements: second.get, sessionId: second.sessionId });

  // The raw side of each ratio is measured in rounds alternating with the service's, so that both see the
  // machine in the same state (this one's speed drifts by ±20 % within minutes); the service idles meanwhile.
  // PGlite's data directory takes one user at a time: the embedded run measures the raw side once the service
  // has let go of it, and the same turns without a model call (below) too.
  const pairedRunner = embedded ? undefined : pgRunner(database.url!, poolSize);
  const service = await startService(serviceEnv(), path.join(work, 'service.log'));
  const turn = await turnScenario(service, sizes, log);
  // Each turn round also reads where the machine's CPU went, so that the report says what limits the ratio.
  const serviceTurns = (answering: ServiceProcess) => () =>
    withCpu({ service: answering.pid, llmDouble: double.pid }, () => driveTurns({ url: answering.url, sessions: turn.sessions, connections: turn.best.connections, seconds: sizes.sweepSeconds }));
  const rawTurns = (runner: SqlRunner, servicePid?: number) =>
    withCpu({ service: servicePid, llmDouble: double.pid }, async () => ({
      rps: await replayRate(runner, turnPlan, turn.sessions, turn.best.connections, sizes.sweepSeconds),
    }));
  const noModel = embedded ? undefined : await startNoModelService(turn);
  const turnRounds = await alternatingRounds<'service' | 'noModel' | 'raw', { rps: number; cpu?: CpuShare }>({
    service: serviceTurns(service),
    noModel: noModel && serviceTurns(noModel),
    raw: pairedRunner && (() => rawTurns(pairedRunner, service.pid)),
  });
  await noModel?.stop();
  const conversation = await conversationScenario(service, double);
  const getPath = `/api/sessions/${conversation.sessionId}`;
  const perRound = Math.ceil(sizes.gets / sizes.pairedRounds);
  const warmup = (round: number) => (round === 0 ? sizes.warmup : 0);
  const rawGets = (runner: SqlRunner, round: number) => rawSelectP50(runner, getPlan(conversation.sessionId), perRound, warmup(round));
  const getPairs = await alternatingRounds<'service' | 'raw', number>({
    service: (round) => driveGets(service.url, getPath, perRound, warmup(round)).then((r) => r.p50Ms),
    raw: pairedRunner && ((round) => rawGets(pairedRunner, round)),
  });
  log(`  conversation: prompt ${JSON.stringify(conversation.promptChars)} chars; GET p50 ${getPairs.service.map((p) => p.toFixed(2)).join(', ')} ms`);
  const streamOverhead = await streamScenario(service, double, turn.sessions, sizes);
  log(`  stream: first-byte overhead ${streamOverhead.toFixed(2)} ms`);
  const slow = await slowLlmScenario(service, double, sizes);
  log(
    `  slow LLM: ${slow.rps.toFixed(1)} turns/s of ${slow.ideal_rps} ideal (all at once: ${(slow.synchronized_efficiency * slow.ideal_rps).toFixed(1)}), ${slow.errors} errors, peak RSS ${slow.peak_rss_mb.toFixed(0)} MB`,
  );
  await service.stop();
  await pairedRunner?.close();

  if (embedded) {
    const answering = await startNoModelService(turn);
    for (let round = 0; round < sizes.pairedRounds; round++) turnRounds.noModel.push(await serviceTurns(answering)());
    await answering.stop();
    const runner = pgliteRunner(await PGlite.create(path.join(work, 'data')));
    for (let round = 0; round < sizes.pairedRounds; round++) {
      turnRounds.raw.push(await rawTurns(runner));
      getPairs.raw.push(await rawGets(runner, round));
    }
    await runner.close();
  }
  const rates = (rounds: { rps: number }[]) => rounds.map((round) => round.rps);
  const roundRates = (rounds: { rps: number }[]) => rates(rounds).map(Math.round).join(', ');
  log(`  turn at ${turn.best.connections} connections, in rounds: ${roundRates(turnRounds.service)} turns/s; no model call ${roundRates(turnRounds.noModel)}; raw SQL ${roundRates(turnRounds.raw)}`);
  log(`  raw select of the conversation p50, in rounds: ${getPairs.raw.map((p) => p.toFixed(2)).join(', ')} ms`);
  const [turnRps, noModelRps, rawRps, getP50, rawGetP50] = [rates(turnRounds.service), rates(turnRounds.noModel), rates(turnRounds.raw), getPairs.service, getPairs.raw].map(median) as [number, number, number, number, number];
  const [serviceCpu, noModelCpu, rawCpu] = [turnRounds.service, turnRounds.noModel, turnRounds.raw].map((rounds) => medianCpu(rounds.map((round) => round.cpu)));

  const results: Results = {
    machine: machine(embedded ? 'PGlite (embedded)' : await serverVersion(database.url!), quick ? 'quick' : 'full'),
    turn: {
      rps: turnRps,
      p50_ms: turn.halfRate.p50Ms,
      p99_ms: turn.halfRate.p99Ms,
      raw_sql_rps: rawRps,
      ratio: turnRps / rawRps,
      no_model: { rps: noModelRps, ratio: noModelRps / rawRps },
      connections: turn.best.connections,
      statements: first.turn.length,
      ...(serviceCpu && noModelCpu && rawCpu ? { cpu_ms_per_turn: { service_rounds: serviceCpu, no_model_rounds: noModelCpu, raw_rounds: rawCpu } } : {}),
    },
    slow_llm: slow,
    get_session: { messages: conversation.messages, p50_ms: getP50, raw_p50_ms: rawGetP50, ratio: getP50 / rawGetP50 },
    prompt_growth: conversation.promptChars,
    stream: { first_byte_overhead_ms: streamOverhead },
    cold_start_ms: await coldStarts(),
  };
  report(results);
} finally {
  await double.stop();
  await database.drop();
  rmSync(work, { recursive: true, force: true });
}

/**
 * `sizes.pairedRounds` rounds of each figure, one after the other in every round; a figure without a function is
 * left for later (PGlite's directory, which takes one user at a time).
 */
async function alternatingRounds<K extends string, T>(figures: Record<K, ((round: number) => Promise<T>) | undefined>): Promise<Record<K, T[]>> {
  const entries = Object.entries(figures) as [K, ((round: number) => Promise<T>) | undefined][];
  const rounds = Object.fromEntries(entries.map(([name]) => [name, [] as T[]])) as Record<K, T[]>;
  for (let round = 0; round < sizes.pairedRounds; round++) {
    for (const [name, measure] of entries) if (measure) rounds[name].push(await measure(round));
  }
  return rounds;
}

/**
 * The service with the offline tutor (`LLM_PROVIDER=offline`) on the same database: the same turns on the same
 * sessions, answered without a model call, so that the report tells what the call costs a turn. Warmed up first,
 * as the measured service was by its sweep.
 */
async function startNoModelService(turn: TurnLoadFigures): Promise<ServiceProcess> {
  const answering = await startService(serviceEnv({ LLM_PROVIDER: 'offline' }), path.join(work, 'no-model.log'));
  await driveTurns({ url: answering.url, sessions: turn.sessions, connections: turn.best.connections, amount: sizes.warmup });
  return answering;
}

/** The select of the conversation's rows, alone, one after another, after `warmup` untimed ones. */
async function rawSelectP50(runner: SqlRunner, units: ReturnType<ReturnType<typeof replayPlan>>, amount: number, warmup: number): Promise<number> {
  // The select that reads the messages' content in order: the GET also sums token usage over the same table.
  const select = units.flat().find((statement) => /"content".*from "chat_messages"\s.*order by/s.test(statement.sql) && !/limit/.test(statement.sql));
  if (!select) throw new Error('the captured GET has no select of the messages');
  for (let i = 0; i < warmup; i++) await runner.query(select);
  const times: number[] = [];
  for (let i = 0; i < amount; i++) {
    const started = performance.now();
    await runner.query(select);
    times.push(performance.now() - started);
  }
  return median(times);
}

/** Process start to first healthy `/api/health`, the median of a few starts of each kind. */
async function coldStarts(): Promise<Results['cold_start_ms']> {
  const timed = async (store: Record<string, string>) => {
    const service = await startService(serviceEnv({}, store), path.join(work, 'cold-start.log'));
    await service.stop();
    return service.startMs;
  };
  const fresh: number[] = [];
  const existing: number[] = [];
  const postgres: number[] = [];
  for (let i = 0; i < sizes.coldStarts; i++) {
    const dataDir = path.join(work, `cold-${i}`);
    fresh.push(await timed({ DATA_DIR: dataDir }));
    existing.push(await timed({ DATA_DIR: dataDir }));
    if (database.url) postgres.push(await timed({ DATABASE_URL: database.url }));
  }
  log(`  cold start: fresh ${fresh.map(Math.round).join(', ')} ms; existing ${existing.map(Math.round).join(', ')} ms; PostgreSQL ${postgres.map(Math.round).join(', ')} ms`);
  return { embedded_fresh: median(fresh), embedded: median(existing), postgres: postgres.length ? median(postgres) : null };
}

/** BENCH_DATABASE_URL, or a database of its own on the local server; none when the embedded run has no server. */
async function benchDatabase(): Promise<{ url?: string; drop(): Promise<void> }> {
  if (process.env.BENCH_DATABASE_URL) return { url: process.env.BENCH_DATABASE_URL, drop: async () => {} };
  const admin = 'postgresql://postgres@127.0.0.1:5432/postgres';
  const name = `ai_training_bench_${process.pid}`;
  const run = (statement: string) => {
    const client = new pg.Client(admin);
    return client.connect().then(() => client.query(statement).finally(() => client.end()));
  };
  try {
    await run(`create database ${name}`);
  } catch (error) {
    if (!embedded) throw error;
    return { drop: async () => {} }; // the embedded run still measures everything but PostgreSQL's cold start
  }
  return { url: admin.replace(/\/postgres$/, `/${name}`), drop: () => run(`drop database ${name} with (force)`).then(() => undefined) };
}

async function serverVersion(url: string): Promise<string> {
  const client = new pg.Client(url);
  await client.connect();
  const { rows } = await client.query<{ server_version: string }>('show server_version');
  await client.end();
  return `PostgreSQL ${rows[0]!.server_version}`;
}
