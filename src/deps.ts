import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createHealthChecks, type HealthChecks } from './health.js';
import { StartupError } from './startup-error.js';
import type { Config } from './config.js';
import type { CompletionRecorder, Curriculum } from './curriculum/curriculum.js';
import { loadCatalogDir } from './curriculum/catalog-file.js';
import type { DotnetClient } from './curriculum/dotnet-client.js';
import { createRetentionJob, type Purged } from './http/retention.js';
import { currentRequestId } from './http/request-id.js';
import { createLocalCurriculum, localCompletions } from './curriculum/local-catalog.js';
import { databaseEvents, openDatabase, type Database } from './db/client.js';
import { idempotencyStore, type IdempotencyStore } from './db/idempotency.js';
import { replyStreamStore, type ReplyStreamStore } from './db/reply-streams.js';
import { runMigrations } from './db/migrate.js';
import { backlog, dotnetQueue, webhookQueue } from './db/outbox.js';
import { countActiveSessions } from './db/sessions.js';
import { loadLanguageModel } from './llm/language-model.js';
import { instrumentModel } from './llm/instrumented.js';
import { createMetrics, type Metrics } from './metrics.js';
import type { OutboxDispatcher } from './outbox/dispatcher.js';
import type { PeriodicJob } from './periodic-job.js';
import { createIdleSweep, type IdleSweep } from './tutoring/idle-sweep.js';
import type { TutorEngine } from './tutoring/tutor-engine.js';
import { createTutor, type Tutor } from './tutoring/tutor.js';
import { createLearningPath, type LearningPath } from './tutoring/learning-path.js';
import { createOversight, type Oversight } from './oversight/oversight.js';
import { createPrivacy, type Privacy } from './privacy/privacy.js';
import { publishedPrices } from './usage/published-prices.js';
import { createModelCallLog } from './usage/model-calls.js';
import { budgetAlerts, createBudgets } from './usage/budgets.js';
import { createEvents, withCompletionEvents, type Events } from './events/events.js';
import { webhookSender } from './events/webhook-sender.js';
import { createFlagRecorder } from './safety/flag-recorder.js';
import { createModeration } from './safety/moderation.js';
import { moderationEndpoint } from './safety/moderation-endpoint.js';
import { loadPriceTable, type PriceTable } from './usage/prices.js';

export interface Deps {
  config: Config;
  database: Database;
  /** Who teaches: a model tutor on the configured LLM, or the offline tutor. */
  engine: TutorEngine;
  curriculum: Curriculum;
  tutor: Tutor;
  /** Mastery across a course, and what to study next. */
  learningPath: LearningPath;
  /** What teachers and admins read across learners. */
  oversight: Oversight;
  /** Export, erasure, retention. */
  privacy: Privacy;
  /** With a .NET backend: its client, and the dispatcher that delivers completion notices to it. */
  dotnet?: { client: DotnetClient; dispatcher: OutboxDispatcher };
  /** Events for the platform's webhook, queued with what causes them. */
  events: Events;
  /** With EVENTS_WEBHOOK_URL: the dispatcher that delivers the events. */
  webhook?: { dispatcher: OutboxDispatcher };
  /** With REDIS_URL: the connection the rate limits share. */
  redis?: Redis;
  idleSweep: IdleSweep;
  /** Answers kept for requests sent with an Idempotency-Key. */
  idempotency: IdempotencyStore;
  /** Streamed replies, for clients that resume them. */
  replyStreams: ReplyStreamStore;
  /** Deletes expired idempotent answers and ended replies. */
  retention: PeriodicJob<Purged>;
  metrics: Metrics;
  health: HealthChecks;
}

/** Opens the database, wires every adapter once from config, and migrates. */
export async function createDeps(config: Config, log: Logger, opening = openDatabase(config.database, databaseEvents(log))): Promise<Deps> {
  // The adapters' modules load, and the catalog is read, while the database opens (for PGlite, mostly file reads
  // and WebAssembly compilation); a failure surfaces in assembleDeps, which closes the database.
  const loading = loadAdapters(config);
  const [database] = await Promise.all([opening, loading.catch(() => undefined)]);
  try {
    if (config.database.kind === 'pglite') {
      log.info({ dataDir: config.database.dataDir }, 'No DATABASE_URL: using the embedded PGlite database');
    }
    const deps = await assembleDeps(config, database, log, loading);
    if (config.migrateOnStart) {
      await runMigrations(database).catch((error: unknown) => {
        // Drizzle's error carries the whole statement; the driver's, its cause, says what went wrong.
        const reason = ((error as Error).cause instanceof Error ? ((error as Error).cause as Error) : (error as Error)).message.split('\n')[0];
        throw new StartupError(
          `Migrating the ${database.kind === 'postgres' ? 'PostgreSQL' : 'embedded'} database failed (${reason}): ` +
            'fix what it names, or migrate separately (npm run db:migrate) and set MIGRATE_ON_START=false',
          { cause: error },
        );
      });
    }
    return deps;
  } catch (error) {
    await database.close();
    throw error;
  }
}

/**
 * Wires the adapters around an open database. Tests call it with a database of their own. Each adapter's
 * modules (the LLM SDK, the .NET client, Redis) are loaded only when the configuration uses it: start-up time.
 */
export async function assembleDeps(config: Config, database: Database, log: Logger, loading = loadAdapters(config)): Promise<Deps> {
  const modules = await loading;
  const metrics = createMetrics();
  const { prices } = modules;
  const engine = modules.engineOf(metrics, log, prices);
  let curriculum: Curriculum;
  let completions: CompletionRecorder;
  let dotnet: Deps['dotnet'];
  if (config.curriculum.source === 'dotnet') {
    const [{ createDotnetClient }, { createDotnetCurriculum, dotnetCompletions }] = modules.dotnet!;
    const { createOutboxDispatcher } = modules.dispatcher!;
    const client = createDotnetClient(config.curriculum, log, currentRequestId, {
      attempt: (endpoint, seconds, outcome) => metrics.dotnetDuration.observe({ endpoint, outcome }, seconds),
      retry: () => metrics.dotnetRetries.inc(),
    });
    curriculum = createDotnetCurriculum(client, log, Math.ceil(config.curriculum.breaker.halfOpenAfterMs / 1000));
    completions = dotnetCompletions;
    const dispatcher = createOutboxDispatcher({
      db: database.db,
      queue: dotnetQueue,
      what: 'completion notice',
      deliver: (payload) => client.completeTopic(payload),
      config: config.outbox,
      // A claimed row is someone's for as long as one delivery attempt can take (it is bounded by the call's timeout),
      // and a few seconds to record it. A claim whose recording failed (the database away) lapses soon after.
      leaseMs: config.curriculum.timeoutMs + 5_000,
      log,
    });
    dotnet = { client, dispatcher };
    const circuitValue = { closed: 0, 'half-open': 1, open: 2 };
    metrics.gauge('dotnet_circuit_state', '.NET circuit breaker: 0 closed, 1 half-open, 2 open', (gauge) => {
      gauge.set(circuitValue[client.circuit()]);
    });
    // Both outbox gauges are collected in the same scrape, at once: they share one read of the backlog.
    let reading: ReturnType<typeof backlog> | undefined;
    const currentBacklog = () => (reading ??= backlog(database.db).finally(() => (reading = undefined)));
    metrics.gauge('outbox_notices', 'Completion notices not delivered, by status', async (gauge) => {
      const queue = await currentBacklog();
      gauge.set({ status: 'pending' }, queue.pending);
      gauge.set({ status: 'dead' }, queue.dead);
    }, ['status']);
    metrics.gauge('outbox_oldest_pending_age_seconds', 'Age of the oldest undelivered notice', async (gauge) => {
      gauge.set((await currentBacklog()).oldestPendingAgeSeconds ?? 0);
    });
  } else {
    curriculum = createLocalCurriculum(modules.catalog!, database.db);
    completions = localCompletions;
  }
  const events = createEvents(config.webhook !== undefined);
  // Without the .NET backend, the platform learns of completions from the webhook.
  if (config.curriculum.source === 'local' && events.enabled) completions = withCompletionEvents(completions, events);
  const webhook = config.webhook && {
    dispatcher: modules.dispatcher!.createOutboxDispatcher({
      db: database.db,
      queue: webhookQueue,
      what: 'webhook event',
      deliver: webhookSender(config.webhook),
      config: config.outbox,
      leaseMs: config.webhook.timeoutMs + 5_000,
      log,
    }),
  };
  if (webhook) {
    metrics.gauge('webhook_events', 'Webhook events not delivered, by status', async (gauge) => {
      const queue = await webhookQueue.backlog(database.db);
      gauge.set({ status: 'pending' }, queue.pending);
      gauge.set({ status: 'dead' }, queue.dead);
    }, ['status']);
  }
  const budgets = createBudgets(database.db, config.budgets);
  const tutor = createTutor({
    db: database.db,
    transaction: database.transaction,
    engine,
    curriculum,
    completions,
    modelCalls: createModelCallLog(prices, budgetAlerts(budgets, events, database.db, log)),
    budgets,
    moderation: createModeration(config.safety, log, config.safety.endpoint && moderationEndpoint(config.safety.endpoint)),
    flags: createFlagRecorder(events, metrics.safetyFlags),
    config: config.tutoring,
    log,
  });
  const redis = modules.Redis
    ? new modules.Redis(config.redisUrl!, {
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
        // Every key this service writes starts with it: deployments (and test runs) can share one Redis.
        keyPrefix: config.redisKeyPrefix,
        // A Redis that has gone silent fails the command (the rate limit then lets the request through) instead of
        // holding every request; one that is down fails it at once (no offline queue).
        commandTimeout: config.redisCommandTimeoutMs,
      }).on('error', (error: Error) =>
        log.warn({ err: error.message }, 'Redis unavailable: rate limits are not enforced meanwhile'),
      )
    : undefined;
  const health = createHealthChecks({ database, dotnet: dotnet?.client, redis, timeoutMs: config.readyCheckTimeoutMs, log });
  const idleSweep = createIdleSweep({ db: database.db, idleMs: config.sessionIdleTimeoutMs, log });
  const idempotency = idempotencyStore(database.db);
  const replyStreams = replyStreamStore(database.db);
  const privacy = createPrivacy({ db: database.db, transaction: database.transaction, redis, log });
  const retentionDays = config.retentionDays;
  const retention = createRetentionJob({
    keys: idempotency,
    streams: replyStreams,
    streamGraceMs: config.streamResumeGraceMs,
    sessions: retentionDays === undefined ? undefined : { days: retentionDays, purge: (days, batch) => privacy.purgeOlderThan(days, batch) },
    log,
  });
  metrics.gauge('tutoring_active_sessions', 'Sessions in progress', async (gauge) => {
    gauge.set(await countActiveSessions(database.db));
  });
  const oversight = createOversight(database.db);
  const learningPath = createLearningPath({ db: database.db, curriculum });
  return { config, database, engine, curriculum, tutor, learningPath, oversight, privacy, dotnet, events, webhook, redis, idleSweep, idempotency, replyStreams, retention, metrics, health };
}

/** Starts the background work: delivering notices and events, ending idle sessions, purging what is kept a while. */
export function startBackgroundJobs(deps: Deps): void {
  deps.dotnet?.dispatcher.start();
  deps.webhook?.dispatcher.start();
  deps.idleSweep.start();
  deps.retention.start();
}

/** Stops background work and closes connections, after the HTTP server stopped taking requests. */
export async function closeDeps(deps: Deps): Promise<void> {
  deps.idleSweep.stop();
  deps.retention.stop();
  // A turn whose client disconnected is no longer a request the HTTP server waits for, but it still saves its
  // messages: the database stays open until it has (SHUTDOWN_TIMEOUT bounds the wait in the server).
  await deps.tutor.idle();
  await deps.dotnet?.dispatcher.stop();
  await deps.webhook?.dispatcher.stop();
  await deps.redis?.quit().catch(() => deps.redis?.disconnect());
  await deps.database.close();
}

/**
 * The modules of the adapters this configuration uses, and only those (each costs start-up time to load), and the
 * local catalog when it is the curriculum.
 */
async function loadAdapters(config: Config) {
  const catalog = config.curriculum.source === 'local' ? loadCatalogDir(config.curriculum.dir) : undefined;
  const prices = config.modelPricesFile ? loadPriceTable(config.modelPricesFile) : publishedPrices;
  const [engineOf, dotnet, dispatcher, Redis] = await Promise.all([
    engineFactory(config),
    config.curriculum.source === 'dotnet' ? Promise.all([import('./curriculum/dotnet-client.js'), import('./curriculum/dotnet-curriculum.js')]) : undefined,
    // Notices to .NET and events to the webhook are delivered by outbox dispatchers.
    config.curriculum.source === 'dotnet' || config.webhook ? import('./outbox/dispatcher.js') : undefined,
    // ioredis is CommonJS: its class is reached through the default export, in Node.js's own loader and in the bundle
    // alike (the bundle has no named `Redis` export).
    config.redisUrl ? import('ioredis').then((module) => module.default.Redis) : undefined,
  ]);
  return { engineOf, dotnet, Redis, catalog, prices, dispatcher };
}

/** The tutor the configuration asks for, with the modules of its model provider loaded only when it has one. */
async function engineFactory(config: Config): Promise<(metrics: Metrics, log: Logger, prices: PriceTable) => TutorEngine> {
  const { llm, tutoring } = config;
  if (llm.provider === 'offline') {
    const { createOfflineTutor } = await import('./tutoring/offline-tutor.js');
    return (_metrics, log) => {
      log.warn('No LLM is configured: the offline tutor answers from the topic material (set GEMINI_API_KEY for Gemini)');
      return createOfflineTutor();
    };
  }
  const [{ createModelTutor }, { logSdkWarnings }, model] = await Promise.all([
    import('./tutoring/model-tutor.js'),
    import('./llm/ai-sdk-model.js'),
    loadLanguageModel(llm),
  ]);
  return (metrics, log, prices) => {
    logSdkWarnings(log);
    return createModelTutor({
      model: instrumentModel(model, metrics, prices),
      tutorModel: llm.model,
      graderModel: llm.graderModel,
      completionMarker: tutoring.completionMarker,
      log,
    });
  };
}
