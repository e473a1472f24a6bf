import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Deps } from './deps.js';
import { registerAuth } from './http/auth.js';
import { registerDocs } from './http/docs.js';
import { registerMetrics } from './http/metrics.routes.js';
import { registerRateLimits } from './http/rate-limit.js';
import { registerRequestId, requestIdOf } from './http/request-id.js';
import { registerErrorHandling } from './http/errors.js';
import { serviceRoutes } from './http/service.routes.js';
import { sessionRoutes } from './http/sessions.routes.js';
import { version } from './version.js';

/** Builds the HTTP app around ready dependencies, without listening: server.ts listens, tests inject. */
export async function buildApp(deps: Deps, logger: FastifyBaseLogger): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: config.bodyLimitBytes,
    genReqId: requestIdOf,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
  });
  await registerRequestId(app);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app, { debug: config.debug });
  // The API serves JSON: a content security policy matters only for the docs pages, which need inline scripts.
  await app.register(helmet, { contentSecurityPolicy: false });
  await app.register(cors, { origin: config.corsOrigins, exposedHeaders: ['retry-after', 'x-request-id', 'idempotent-replayed'] });
  registerAuth(app, config.auth);
  await registerRateLimits(app, config.rateLimit, deps.redis);

  registerMetrics(app, deps.metrics, config.metricsToken);
  await registerDocs(app, { version });
  await app.register(
    serviceRoutes({
      version,
      database: deps.database,
      llm: { provider: deps.llm.name, model: deps.llm.model },
      curriculum: { source: deps.curriculum.source },
      dotnetCircuit: deps.dotnet?.client.circuit,
      redis: deps.redis,
    }),
  );
  await app.register(
    sessionRoutes(deps.tutor, deps.database.db, deps.metrics, {
      maxMessageLength: config.tutoring.maxMessageLength,
      debug: config.debug,
      idempotencyTtlMs: config.idempotencyTtlMs,
    }),
  );
  return app;
}
