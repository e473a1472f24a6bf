import { createReadStream, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { routesArePublic } from './public-routes.js';

const require = createRequire(import.meta.url);
// The ReDoc page loads its script from our own server, so the docs work without internet access.
const redocScript = require.resolve('redoc/bundles/redoc.standalone.js');
// Bundled into dist/ (scripts/build.mjs), Swagger UI's plugin cannot find the assets it ships: it is told where.
const swaggerUiAssets = path.join(path.dirname(require.resolve('@fastify/swagger-ui/package.json')), 'static');

const redocPage = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>AI Training Service – API reference</title>
  </head>
  <body>
    <redoc spec-url="/openapi.json"></redoc>
    <script src="/redoc/redoc.standalone.js"></script>
  </body>
</html>
`;

/**
 * OpenAPI document generated from the routes' Zod schemas, served as JSON, Swagger UI and ReDoc, all public. The
 * generator sees every route of the app; the pages live in a context of their own, whose routes are public.
 */
export async function registerDocs(app: FastifyInstance, info: { version: string }): Promise<void> {
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'AI Training Service',
        description:
          'Personalized, structured AI tutoring: sessions on one topic of a course, progressive questions, graded completion. ' +
          'Errors are RFC 9457 problem details (application/problem+json) with a stable `code`.',
        version: info.version,
      },
      tags: [
        { name: 'sessions', description: 'Tutoring sessions and their conversation' },
        { name: 'catalog', description: 'The courses and topics a session can be started on' },
        { name: 'learners', description: 'A learner’s mastery of a course’s objectives, and what to study next' },
        { name: 'oversight', description: 'For teachers (their courses) and admins: sessions across learners, transcripts, analytics, usage' },
        { name: 'service', description: 'Health and service information' },
      ],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(async (docs) => {
    routesArePublic(docs);
    await docs.register(swaggerUi, {
      routePrefix: '/docs',
      baseDir: swaggerUiAssets,
      logo: { type: 'image/svg+xml', content: readFileSync(path.join(swaggerUiAssets, 'logo.svg')) },
    });
    docs.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
    docs.get('/redoc', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html').send(redocPage));
    docs.get('/redoc/redoc.standalone.js', { schema: { hide: true } }, async (_request, reply) =>
      reply.type('application/javascript').header('cache-control', 'public, max-age=86400').send(createReadStream(redocScript)),
    );
  });
}
