/**
 * `npm run bench [-- --quick] [-- --embedded]`: the bundled service against a Gemini protocol double, each in its
 * own process, on PostgreSQL (BENCH_DATABASE_URL, or a fresh database on the local server) or PGlite. What each
 * figure measures, why, and its target: BENCHMARKS.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { medianCpu, withCpu, type CpuShare } from './cpu.js';
import { adminKey, exportScenario, seedConversations } from './export.js';
import { driveGets, driveTurns, serviceKey } from './load.js';
import { startLlmDouble, startService, type ServiceProcess } from './processes.js';
import { machine, promptTokensBaseline, report, type Results } from './report.js';
import {
  captureRequests,
  conversationScenario,
  fullSizes,
  idleRssScenario,
  llmCallsScenario,
  median,
  promptTokensScenario,
  quickSizes,
  slowLlmScenario,
  streamScenario,
  turnLatencyScenario,
  turnRateScenario,
  type TurnRate,
} from './scenarios.js';
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
    // Every learner of the slow-model figure has a turn waiting on the model at once.
    LLM_MAX_CONCURRENCY: String(Math.max(1000, sizes.slow.learners * 2)),
    // The 0 ms model's turns (and their raw replay) run on a few sessions for thousands of turns: no cap on them.
    MAX_SESSION_MESSAGES: '100000',
    DATABASE_POOL_SIZE: String(poolSize),
    ...store,
    ...extra,
  };
}

try {
  log(`AI Training Service benchmark (${quick ? 'quick' : 'full'}, ${embedded ? 'embedded PGlite' : 'PostgreSQL'})`);

  // Memory first, on a service of its own that nothing else has touched.
  const fresh = await startService(serviceEnv(), path.join(work, 'idle.log'));
  const idleRss = await idleRssScenario(fresh);
  await fresh.stop();
  log(`  idle RSS ${idleRss.idle_rss_mb.toFixed(1)} MB, after 100 turns ${idleRss.after_100_turns_mb.toFixed(1)} MB`);

  const tracing = await startService(serviceEnv({ LOG_LEVEL: 'trace' }), path.join(work, 'capture.log'));
  const [first, second] = [await captureRequests(tracing, 1), await captureRequests(tracing, 2)];
  await tracing.stop();
  log(`  captured: a turn runs ${first.turn.length} statements, GET /api/sessions/{id} ${first.get.length}`);
  const turnPlan = replayPlan({ statements: first.turn, sessionId: first.sessionId }, { statements: second.turn, sessionId: second.sessionId });
  const getPlan = replayPlan({ statements: first.get, sessionId: first.sessionId }, { statements: second.get, sessionId: second.sessionId });

  const service = await startService(serviceEnv(), path.join(work, 'service.log'));
  const llmCalls = await llmCallsScenario(service, double);
  log(`  model calls: ${JSON.stringify(llmCalls)}`);
  const promptTokens = await promptTokensScenario(service);
  log(`  prompt tokens of 12 graded answers: ${promptTokens} (baseline ${promptTokensBaseline.tokens})`);
  const turnLatency = await turnLatencyScenario(service, double, sizes);
  log(`  turn latency multiple (p50/p99): ${Object.entries(turnLatency.multiple).map(([kind, m]) => `${kind} ${m.p50.toFixed(3)}/${m.p99.toFixed(3)}`).join(', ')}`);
  const slow = await slowLlmScenario(service, double, sizes);
  log(`  slow model: efficiency ${slow.efficiency.toFixed(3)}, ${slow.errors} errors, RSS ${slow.idle_rss_mb.toFixed(0)} → ${slow.peak_rss_mb.toFixed(0)} MB`);

  // The 0 ms model: what the service costs, reported without a target. The raw replay is measured in rounds
  // alternating with the service's, so that both see the machine in the same state; PGlite's data directory takes
  // one user at a time, so the embedded run measures the raw side once the service has let go of it.
  const pairedRunner = embedded ? undefined : pgRunner(database.url!, poolSize);
  const rate = await turnRateScenario(service, sizes, log);
  const serviceTurns = (answering: ServiceProcess) => () =>
    withCpu({ service: answering.pid, llmDouble: double.pid }, () => driveTurns({ url: answering.url, sessions: rate.sessions, connections: rate.best.connections, seconds: sizes.sweepSeconds }));
  const rawTurns = (runner: SqlRunner, servicePid?: number) =>
    withCpu({ service: servicePid, llmDouble: double.pid }, async () => ({
      rps: await replayRate(runner, turnPlan, rate.sessions, rate.best.connections, sizes.sweepSeconds),
    }));
  const noModel = embedded ? undefined : await startNoModelService(rate);
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
  const streamOverhead = await streamScenario(service, double, rate.sessions, sizes);
  log(`  stream: first-byte overhead ${streamOverhead.toFixed(2)} ms`);
  await service.stop();
  await pairedRunner?.close();

  if (embedded) {
    const answering = await startNoModelService(rate);
    for (let round = 0; round < sizes.pairedRounds; round++) turnRounds.noModel.push(await serviceTurns(answering)());
    await answering.stop();
    const runner = pgliteRunner(await PGlite.create(path.join(work, 'data')));
    for (let round = 0; round < sizes.pairedRounds; round++) {
      turnRounds.raw.push(await rawTurns(runner));
      getPairs.raw.push(await rawGets(runner, round));
    }
    await runner.close();
  }
  // The export of 100,000 messages (200 sessions of 500), seeded once every other figure is done.
  const seeding = embedded ? pgliteRunner(await PGlite.create(path.join(work, 'data'))) : pgRunner(database.url!, 2);
  await seedConversations(seeding, 200, 500);
  await seeding.close();
  const exporting = await startService(serviceEnv({ ADMIN_API_KEY: adminKey }), path.join(work, 'export.log'));
  const exported = await exportScenario(exporting, 100_000);
  await exporting.stop();
  log(`  export: ${exported.messages} messages, ${exported.megabytes.toFixed(1)} MB in ${exported.seconds.toFixed(1)} s, RSS +${exported.growth_mb.toFixed(0)} MB`);

  const rates = (rounds: { rps: number }[]) => rounds.map((round) => round.rps);
  const [turnRps, noModelRps, rawRps, getP50, rawGetP50] = [rates(turnRounds.service), rates(turnRounds.noModel), rates(turnRounds.raw), getPairs.service, getPairs.raw].map(median) as [number, number, number, number, number];
  const [serviceCpu, noModelCpu, rawCpu] = [turnRounds.service, turnRounds.noModel, turnRounds.raw].map((rounds) => medianCpu(rounds.map((round) => round.cpu)));

  const results: Results = {
    machine: machine(embedded ? 'PGlite (embedded)' : await serverVersion(database.url!), quick ? 'quick' : 'full'),
    llm_calls: llmCalls,
    turn_latency: turnLatency,
    slow_llm: slow,
    prompt_tokens: { session_of_12_answers: promptTokens, baseline: promptTokensBaseline.tokens, ratio: promptTokens / promptTokensBaseline.tokens },
    idle_rss: idleRss,
    stream: { first_byte_overhead_ms: streamOverhead },
    prompt_growth: conversation.promptChars,
    get_session: { messages: conversation.messages, p50_ms: getP50, raw_p50_ms: rawGetP50, ratio: getP50 / rawGetP50 },
    cold_start_ms: await coldStarts(),
    export: exported,
    zero_ms_model: {
      rps: turnRps,
      connections: rate.best.connections,
      no_model_rps: noModelRps,
      raw_sql_rps: rawRps,
      statements: first.turn.length,
      ...(serviceCpu && noModelCpu && rawCpu ? { cpu_ms_per_turn: { service_rounds: serviceCpu, no_model_rounds: noModelCpu, raw_rounds: rawCpu } } : {}),
    },
  };
  report(results, { embedded });
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
async function startNoModelService(rate: TurnRate): Promise<ServiceProcess> {
  const answering = await startService(serviceEnv({ LLM_PROVIDER: 'offline' }), path.join(work, 'no-model.log'));
  await driveTurns({ url: answering.url, sessions: rate.sessions, connections: rate.best.connections, amount: sizes.warmup });
  return answering;
}

/** The select of the conversation's rows, alone, one after another, after `warmup` untimed ones. */
async function rawSelectP50(runner: SqlRunner, units: ReturnType<ReturnType<typeof replayPlan>>, amount: number, warmup: number): Promise<number> {
  // The select that reads the messages in order (a page of them, the whole conversation at most): the GET's other
  // statement reads the session's overview.
  const select = units.flat().find((statement) => statement.sql.startsWith('select "id", "role", "content", "created_at" from "chat_messages"'));
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
