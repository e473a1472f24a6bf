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
import { catalogRoutes } from './http/catalog.routes.js';
import { meRoutes } from './http/me.routes.js';
import { learnerRoutes } from './http/learners.routes.js';
import { adminRoutes } from './http/admin.routes.js';
import { webAppDir, webAppRoutes } from './http/web-app.js';
import { answerClientError, answerFrameworkError } from './http/client-errors.js';
import { registerErrorHandling } from './http/errors.js';
import { registerJsonParser } from './http/json-body.js';
import { routesArePublic } from './http/public-routes.js';
import { serviceRoutes } from './http/service.routes.js';
import { sessionRoutes } from './http/sessions.routes.js';
import { version } from './version.js';

/** Builds the HTTP app around ready dependencies, without listening: server.ts listens, tests inject. */
export async function buildApp(deps: Deps, logger: FastifyBaseLogger): Promise<FastifyInstance> {
  const { config } = deps;
  const { requestTimeoutMs, headersTimeoutMs, keepAliveTimeoutMs } = config.http;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: config.bodyLimitBytes,
    genReqId: requestIdOf,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    // A slow client cannot hold a connection forever: its request (headers, then body) must arrive in time, and an
    // idle keep-alive connection is closed. A response (a streamed reply) is not bound by them.
    requestTimeout: requestTimeoutMs,
    keepAliveTimeout: keepAliveTimeoutMs,
    // Node checks these timeouts every connectionsCheckingInterval (30 s by default): often enough to keep them.
    // A request without Host is served (the service reads no host name) rather than refused with Node's empty 400.
    http: {
      headersTimeout: headersTimeoutMs,
      connectionsCheckingInterval: Math.min(30_000, Math.max(250, headersTimeoutMs / 4)),
      requireHostHeader: false,
    },
    clientErrorHandler: answerClientError,
    frameworkErrors: answerFrameworkError,
  });
  await registerRequestId(app);
  registerJsonParser(app);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app, { debug: config.debug });
  // The API serves JSON: a content security policy matters only for the docs pages, which need inline scripts.
  await app.register(helmet, { contentSecurityPolicy: false });
  // A CORS preflight carries no credentials, by the browser's design.
  routesArePublic(app, (route) => route.method === 'OPTIONS');
  // An OPTIONS request that is no preflight is answered as one with no CORS headers, not with a plain-text 400.
  await app.register(cors, { origin: config.corsOrigins, exposedHeaders: ['retry-after', 'x-request-id', 'idempotent-replayed'], strictPreflight: false });
  registerAuth(app, config.auth);
  await registerRateLimits(app, config.rateLimit, deps.redis);

  registerMetrics(app, deps.metrics, config.metricsToken);
  await registerDocs(app, { version });
  await app.register(
    serviceRoutes({
      version,
      environment: config.environment,
      llm: { provider: deps.engine.provider, model: deps.engine.model, grader_model: deps.engine.graderModel },
      curriculum: { source: deps.curriculum.source },
      checks: deps.health,
    }),
  );
  await app.register(meRoutes);
  await app.register(catalogRoutes(deps.curriculum));
  await app.register(
    sessionRoutes(deps.tutor, { keys: deps.idempotency, streams: deps.replyStreams }, deps.metrics, {
      maxMessageLength: config.tutoring.maxMessageLength,
      maxSessionMessages: config.tutoring.maxSessionMessages,
      debug: config.debug,
      idempotency: { ttlMs: config.idempotencyTtlMs, leaseMs: config.tutoring.turnLeaseMs },
    }),
  );
  await app.register(learnerRoutes(deps.learningPath, config.tutoring.masteryThreshold));
  await app.register(adminRoutes(deps.oversight, deps.privacy, { openIsAdmin: !config.auth.unauthenticatedInProduction }));
  if (config.webAppEnabled) {
    const { auth } = config;
    // The keys act for every learner: typing one into a browser is for a demo, never offered in production.
    const demo = config.environment !== 'production';
    const keys = { key: demo && auth.serviceApiKeys.length > 0, adminKey: demo && auth.adminApiKeys.length > 0 };
    await app.register(webAppRoutes({ dir: webAppDir, auth: { token: auth.jwt !== undefined, ...keys } }));
  }
  return app;
}
