import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { projectRoot } from '../project-root.js';
import { routesArePublic } from './public-routes.js';

/** Where `npm run build` writes the web app (web/, built by Vite). */
export const webAppDir = path.join(projectRoot, 'dist', 'web');

export interface WebAppOptions {
  dir: string;
  /** The credentials the app may sign in with: a token, the service key (for a learner), the admin key, or none. */
  auth: { token: boolean; key: boolean; adminKey: boolean };
}

// The app loads its scripts, styles and data from the service alone: no CDN, no outside fonts, nothing inline.
const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const appConfigSchema = z
  .object({ auth: z.object({ token: z.boolean(), key: z.boolean(), admin_key: z.boolean() }) })
  .meta({ id: 'WebAppConfig', description: 'What the web app needs to know before sign-in' });

/**
 * The learner web app at /app: its static files (served without credentials: the app signs in to the API itself)
 * and /app/config.json, which tells it how to sign in. Nothing is served when the app was not built.
 */
export const webAppRoutes =
  (options: WebAppOptions): FastifyPluginAsync =>
  async (app) => {
    if (!existsSync(path.join(options.dir, 'index.html'))) {
      app.log.warn({ dir: options.dir }, 'The web app is not built (npm run build builds it): /app is not served');
      return;
    }
    routesArePublic(app);
    app.addHook('onSend', async (_request, reply, payload) => {
      reply.header('content-security-policy', contentSecurityPolicy);
      return payload;
    });

    app.withTypeProvider<ZodTypeProvider>().get(
      '/app/config.json',
      { schema: { tags: ['service'], summary: 'How the web app signs in', response: { 200: appConfigSchema } } },
      async () => ({ auth: { token: options.auth.token, key: options.auth.key, admin_key: options.auth.adminKey } }),
    );
    await app.register(fastifyStatic, {
      root: options.dir,
      prefix: '/app/',
      // /app answers with a redirect to /app/, where index.html is.
      redirect: true,
      // One route per file of the build, known at start-up: any other path under /app/ is an ordinary 404.
      wildcard: false,
      decorateReply: false,
      schemaHide: true,
      // Vite names each asset after its content's hash, so an asset never changes; the page itself is checked.
      setHeaders: (reply, file) => {
        reply.header('cache-control', file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
  };
