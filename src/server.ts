import type { AddressInfo } from 'node:net';
import { ConfigError, loadConfig } from './config.js';
import { CatalogError } from './curriculum/catalog-error.js';
import { databaseEvents, openDatabase } from './db/client.js';
import { currentRequestId } from './http/request-id.js';
import { createLogger } from './logger.js';
import { version } from './version.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger(config.logLevel, currentRequestId);
  if (config.auth.unauthenticatedInProduction) {
    log.warn('ALLOW_UNAUTHENTICATED=true: this production service accepts requests from anyone, for any learner');
  }
  // The database starts opening first, so that its start overlaps the loading of the service's other modules.
  const opening = openDatabase(config.database, databaseEvents(log));
  opening.catch(() => {}); // createDeps awaits it and reports a failure; until then it must not count as unhandled
  const [{ buildApp }, { createDeps, closeDeps }] = await Promise.all([import('./app.js'), import('./deps.js')]);
  const deps = await createDeps(config, log, opening);
  const app = await buildApp(deps, log);
  app.addHook('onClose', () => closeDeps(deps));

  let closing = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      if (closing) return;
      closing = true;
      log.info({ signal }, 'shutting down: finishing requests in flight');
      setTimeout(() => {
        log.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timed out: exiting with requests still in flight');
        process.exit(1);
      }, config.shutdownTimeoutMs).unref();
      // Keep-alive connections that finish their last request while we wait would otherwise stay open (and keep
      // close() waiting) until their keep-alive timeout: close each as soon as it is idle.
      setInterval(() => app.server.closeIdleConnections(), 100).unref();
      app.close().then(
        () => process.exit(0),
        (error: unknown) => {
          log.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }

  await app.listen({ host: config.host, port: config.port });
  deps.dotnet?.dispatcher.start();
  deps.idleSweep.start();
  log.info(
    { version, port: (app.server.address() as AddressInfo).port, database: deps.database.kind, llm: deps.llm.name, curriculum: deps.curriculum.source },
    'AI Training Service ready',
  );
}

main().catch((error: unknown) => {
  // Configuration and catalog problems are the operator's to fix: print them plainly, without a stack trace.
  if (error instanceof ConfigError || error instanceof CatalogError) console.error(error.message);
  else console.error(error);
  process.exit(1);
});
