import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { digest } from './auth.js';
import { publicRoute } from './public-routes.js';

/** Times every request by route and status, and serves the registry at /metrics (with METRICS_TOKEN, to its bearer only). */
export function registerMetrics(app: FastifyInstance, metrics: Metrics, token: string | undefined): void {
  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, not the URL: /api/sessions/{id} is one series, not one per session.
    const route = request.routeOptions.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });

  const expected = token ? digest(`Bearer ${token}`) : undefined;
  // Public to the API's credentials: it has a token of its own.
  app.get('/metrics', { schema: { hide: true }, config: publicRoute }, async (request, reply) => {
    if (expected && !timingSafeEqual(digest(request.headers.authorization ?? ''), expected)) {
      throw new AppError('unauthorized', 'The metrics need the METRICS_TOKEN bearer token.');
    }
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
