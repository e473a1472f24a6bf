import { sql } from 'drizzle-orm';
import type { FastifyBaseLogger, FastifyPluginAsync } from 'fastify';
import type { Redis } from 'ioredis';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { CircuitStatus } from '../curriculum/dotnet-client.js';
import type { Database } from '../db/client.js';
import { pendingMigrations } from '../db/migrate.js';
import { backlog } from '../db/outbox.js';

export interface ServiceInfo {
  version: string;
  database: Database;
  llm: { provider: string; model: string };
  curriculum: { source: string };
  /** With a .NET backend: the state of its circuit breaker. */
  dotnetCircuit?: () => CircuitStatus;
  redis?: Redis;
}

const check = z.object({ ok: z.boolean(), detail: z.string().optional() });
const readySchema = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.object({ database: check, migrations: check, dotnet: check.optional(), redis: check.optional() }),
  })
  .meta({ id: 'Readiness' });

const healthSchema = z
  .object({
    status: z.enum(['healthy', 'unhealthy']),
    version: z.string(),
    database: z.object({ kind: z.enum(['postgres', 'pglite']), status: z.enum(['ok', 'unavailable']) }),
    llm: z.object({ provider: z.string().describe('offline means no LLM is configured'), model: z.string() }),
    curriculum: z.object({ source: z.string().describe('local: YAML catalog; dotnet: the .NET backend') }),
    dotnet: z
      .object({
        reachable: z.boolean().describe('False while the circuit breaker is open after repeated failures'),
        circuit: z.enum(['closed', 'open', 'half-open']),
      })
      .optional(),
    outbox: z
      .object({
        pending: z.number().int(),
        dead: z.number().int(),
        oldest_pending_age_seconds: z.number().int().nullable(),
      })
      .optional()
      .describe('Completion notices to the .NET backend not yet delivered'),
  })
  .meta({ id: 'Health' });

/** `GET /` (what this is, where the docs are) and `GET /api/health` (liveness with a database check). */
export const serviceRoutes =
  (info: ServiceInfo): FastifyPluginAsync =>
  async (app) => {
    const routes = app.withTypeProvider<ZodTypeProvider>();
    const databaseReachable = (log?: FastifyBaseLogger) =>
      info.database.db.execute(sql`select 1`).then(
        () => true,
        (error: unknown) => {
          log?.warn({ err: error }, 'health check: database unavailable');
          return false;
        },
      );

    routes.get(
      '/',
      {
        schema: {
          tags: ['service'],
          summary: 'Service information and links',
          response: {
            200: z.object({
              name: z.string(),
              version: z.string(),
              docs: z.string(),
              redoc: z.string(),
              openapi: z.string(),
              health: z.string(),
            }),
          },
        },
      },
      async () => ({
        name: 'AI Training Service',
        version: info.version,
        docs: '/docs',
        redoc: '/redoc',
        openapi: '/openapi.json',
        health: '/api/health',
      }),
    );

    routes.get(
      '/api/ready',
      {
        schema: {
          tags: ['service'],
          summary: 'Readiness: the database reachable and migrated, and .NET and Redis reachable when configured',
          response: { 200: readySchema, 503: readySchema },
        },
      },
      async (_request, reply) => {
        const [databaseOk, migrations, redis] = await Promise.all([
          databaseReachable(),
          pendingMigrations(info.database).then(
            (pending) => (pending === 0 ? { ok: true } : { ok: false, detail: `${pending} migration(s) not applied` }),
            () => ({ ok: false, detail: 'unknown' }),
          ),
          info.redis
            ? info.redis.ping().then(
                () => ({ ok: true }),
                () => ({ ok: false, detail: 'unreachable' }),
              )
            : undefined,
        ]);
        const circuit = info.dotnetCircuit?.();
        const dotnet = circuit === undefined ? undefined : circuit === 'open' ? { ok: false, detail: 'circuit open' } : { ok: true };
        const database = databaseOk ? { ok: true } : { ok: false, detail: 'unreachable' };
        const checks = { database, migrations, ...(dotnet ? { dotnet } : {}), ...(redis ? { redis } : {}) };
        const ready = Object.values(checks).every((entry) => entry.ok);
        return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks });
      },
    );

    routes.get(
      '/api/health',
      {
        schema: {
          tags: ['service'],
          summary: 'Liveness, with a database check and the providers in use',
          response: { 200: healthSchema, 503: healthSchema },
        },
      },
      async (request, reply) => {
        // The backend being down does not make this service unhealthy: notices wait in the outbox.
        const outbox = info.dotnetCircuit ? await backlog(info.database.db).catch(() => undefined) : undefined;
        const databaseOk = await databaseReachable(request.log);
        return reply.code(databaseOk ? 200 : 503).send({
          status: databaseOk ? 'healthy' : 'unhealthy',
          version: info.version,
          database: { kind: info.database.kind, status: databaseOk ? 'ok' : 'unavailable' },
          llm: info.llm,
          curriculum: info.curriculum,
          ...(info.dotnetCircuit
            ? { dotnet: { reachable: info.dotnetCircuit() !== 'open', circuit: info.dotnetCircuit() } }
            : {}),
          ...(outbox
            ? { outbox: { pending: outbox.pending, dead: outbox.dead, oldest_pending_age_seconds: outbox.oldestPendingAgeSeconds } }
            : {}),
        });
      },
    );
  };
