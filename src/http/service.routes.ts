import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { HealthChecks } from '../health.js';
import { publicRoute } from './public-routes.js';

export interface ServiceInfo {
  version: string;
  environment: string;
  llm: { provider: string; model: string; grader_model: string };
  curriculum: { source: string };
  checks: HealthChecks;
}

// The service's name as the original service reported it, for clients that look for it.
const serviceName = 'ai-training-service';

const check = z.object({ ok: z.boolean(), detail: z.string().optional() });
const readySchema = z
  .object({
    status: z.enum(['ready', 'not_ready']),
    checks: z.object({ database: check, migrations: check, dotnet: check.optional(), redis: check.optional() }),
  })
  .meta({ id: 'Readiness' });

const dependencyStatus = z.enum(['ok', 'unavailable']);
const healthSchema = z
  .object({
    status: z.enum(['healthy', 'degraded']).describe('degraded: the process serves, but a dependency is unavailable'),
    service: z.string(),
    environment: z.string(),
    version: z.string(),
    database: z.object({ kind: z.enum(['postgres', 'pglite']), status: dependencyStatus }),
    llm: z.object({
      provider: z.string().describe('offline means no LLM is configured'),
      model: z.string(),
      grader_model: z.string().describe('The model that grades answers (GRADER_MODEL, else the tutor model)'),
    }),
    curriculum: z.object({ source: z.string().describe('local: YAML catalog; dotnet: the .NET backend') }),
    dotnet: z
      .object({
        reachable: z.boolean().describe('Whether the backend answered its latest call (or a probe, when there was none lately)'),
        circuit: z.enum(['closed', 'open', 'half-open']),
      })
      .optional(),
    redis: z.object({ status: dependencyStatus }).optional(),
    outbox: z
      .object({
        pending: z.number().int(),
        dead: z.number().int(),
        oldest_pending_age_seconds: z.number().int().nullable(),
      })
      .optional()
      .describe('Completion notices to the .NET backend not yet delivered (absent while the database is unavailable)'),
  })
  .meta({ id: 'Health' });

/**
 * `GET /` (what this is, where the docs are), `GET /api/health` (liveness: 200 while the process can serve, with
 * each dependency's state) and `GET /api/ready` (readiness: 503 while a dependency it needs is unavailable).
 */
export const serviceRoutes =
  (info: ServiceInfo): FastifyPluginAsync =>
  async (app) => {
    const routes = app.withTypeProvider<ZodTypeProvider>();
    const { checks } = info;

    routes.get(
      '/',
      {
        config: publicRoute,
        schema: {
          tags: ['service'],
          summary: 'Service information and links',
          response: {
            200: z.object({
              service: z.string(),
              name: z.string(),
              status: z.literal('running'),
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
        service: serviceName,
        name: 'AI Training Service',
        status: 'running' as const,
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
        config: publicRoute,
        schema: {
          tags: ['service'],
          summary: 'Readiness: the database reachable and migrated; .NET and Redis reported when configured',
          description:
            'Each check waits at most READY_CHECK_TIMEOUT_MS. 503 while the database or its migrations fail: route no traffic ' +
            'here meanwhile. .NET and Redis are reported but do not make an instance unready: every instance shares them, so ' +
            'their outage would take them all out at once, while the service goes on without them (sessions wait for .NET; ' +
            'rate limits are not shared).',
          response: { 200: readySchema, 503: readySchema },
        },
      },
      async (_request, reply) => {
        const [database, migrations, dotnet, redis] = await Promise.all([checks.database(), checks.migrations(), checks.dotnet?.(), checks.redis?.()]);
        const results = { database, migrations, ...(dotnet ? { dotnet } : {}), ...(redis ? { redis } : {}) };
        const ready = database.ok && migrations.ok;
        return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not_ready', checks: results });
      },
    );

    routes.get(
      '/api/health',
      {
        config: publicRoute,
        schema: {
          tags: ['service'],
          summary: 'Liveness: 200 while this process can serve, with the state of each dependency',
          description:
            'Never 503 because a dependency is down: restarting the service would not bring the database back. ' +
            'Use /api/ready to route traffic.',
          response: { 200: healthSchema },
        },
      },
      async () => {
        const [database, dotnet, redis, outbox] = await Promise.all([checks.database(), checks.dotnet?.(), checks.redis?.(), checks.outbox?.()]);
        const degraded = [database, dotnet, redis].some((result) => result && !result.ok);
        const status = (ok: boolean) => (ok ? ('ok' as const) : ('unavailable' as const));
        return {
          status: degraded ? ('degraded' as const) : ('healthy' as const),
          service: serviceName,
          environment: info.environment,
          version: info.version,
          database: { kind: checks.databaseKind, status: status(database.ok) },
          llm: info.llm,
          curriculum: info.curriculum,
          ...(dotnet && checks.dotnetCircuit ? { dotnet: { reachable: dotnet.ok, circuit: checks.dotnetCircuit() } } : {}),
          ...(redis ? { redis: { status: status(redis.ok) } } : {}),
          ...(outbox ? { outbox: { pending: outbox.pending, dead: outbox.dead, oldest_pending_age_seconds: outbox.oldestPendingAgeSeconds } } : {}),
        };
      },
    );
  };
