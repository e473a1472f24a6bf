import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { answerNotFound } from './errors.js';
import { isPublicRoute } from './public-routes.js';

/**
 * Requests a minute per learner (a token's user) or, for other callers, per IP address; the trusted service
 * key is not limited. Counted in Redis when configured, so that every instance shares the counts; if Redis
 * fails, requests are let through rather than refused.
 */
export async function registerRateLimits(app: FastifyInstance, limits: Config['rateLimit'], redis: Redis | undefined): Promise<void> {
  const limitOf = (key: string) => (key.startsWith('user:') ? limits.perUser : limits.perIp);
  await app.register(rateLimit, {
    global: true,
    hook: 'onRequest',
    timeWindow: 60_000,
    redis,
    nameSpace: 'rate-limit:', // after REDIS_KEY_PREFIX, which the connection puts before every key
    skipOnError: true,
    keyGenerator: (request) => (request.principal.kind === 'user' ? `user:${request.principal.userId}` : `ip:${request.ip}`),
    max: (_request, key) => limitOf(key),
    allowList: (request, key) => isPublicRoute(request) || request.principal.kind === 'service' || limitOf(key) === 0,
    errorResponseBuilder: (_request, context) =>
      new AppError('rate_limited', `Too many requests: at most ${context.max} a minute. Try again in ${context.after}.`, {
        retryAfterSeconds: Math.ceil(context.ttl / 1000),
      }),
  });
  // Unknown routes are counted too: scanning for them costs an address its budget like any other request.
  app.setNotFoundHandler({ preHandler: app.rateLimit() }, answerNotFound);
}
