import type { FastifyInstance, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without credentials. Every other route requires them when authentication is configured. */
    public?: boolean;
  }
}

/** A route's `config` that declares it public: the probes, the service page, the docs, the metrics (own token). */
export const publicRoute = { public: true };

export function isPublicRoute(request: FastifyRequest): boolean {
  return request.routeOptions.config.public === true;
}

/**
 * Declares public every route later registered in `app`'s context: the routes of plugins that do not take our
 * route config (Swagger UI's pages and assets, CORS preflights).
 */
export function routesArePublic(app: FastifyInstance, which: (route: { method: string | string[]; url: string }) => boolean = () => true): void {
  app.addHook('onRoute', (route) => {
    if (which(route)) route.config = { ...route.config, public: true };
  });
}
