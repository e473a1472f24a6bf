import type { AddressInfo } from 'node:net';
import { ConfigError, loadConfig, type Config } from './config.js';
import { CatalogError } from './curriculum/catalog-error.js';
import { databaseEvents, openDatabase } from './db/client.js';
import { currentRequestId } from './http/request-id.js';
import { createLogger } from './logger.js';
import { StartupError } from './startup-error.js';
import { version } from './version.js';

let debug = false;

async function main(): Promise<void> {
  const config = loadConfig();
  debug = config.debug;
  const log = createLogger(config.logLevel, currentRequestId);
  if (config.auth.unauthenticatedInProduction) {
    log.warn('ALLOW_UNAUTHENTICATED=true: this production service accepts requests from anyone, for any learner');
  }
  // The database starts opening first, so that its start overlaps the loading of the service's other modules.
  const opening = openDatabase(config.database, databaseEvents(log));
  opening.catch(() => {}); // createDeps awaits it and reports a failure; until then it must not count as unhandled
  const [{ buildApp }, { createDeps, closeDeps, startBackgroundJobs }] = await Promise.all([import('./app.js'), import('./deps.js')]);
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

  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await app.close().catch(() => {});
    throw new StartupError(describeListenFailure(error, config), { cause: error });
  }
  startBackgroundJobs(deps);
  log.info(
    { version, port: (app.server.address() as AddressInfo).port, database: deps.database.kind, llm: deps.engine.provider, curriculum: deps.curriculum.source },
    'AI Training Service ready',
  );
}

function describeListenFailure(error: unknown, config: Config): string {
  const where = `${config.host}:${config.port}`;
  switch ((error as { code?: string }).code) {
    case 'EADDRINUSE':
      return `Port ${config.port} is already in use on ${config.host}: stop what listens there, or set PORT`;
    case 'EACCES':
      return `Not allowed to listen on ${where}: set PORT to 1024 or above`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return `HOST ${config.host} is not an address of this machine: set HOST (0.0.0.0 to listen on every interface)`;
  }
  return `Cannot listen on ${where} (${error instanceof Error ? error.message : String(error)}): check HOST and PORT`;
}

main().catch((error: unknown) => {
  // Failures the operator fixes are printed plainly: what to change, without a stack trace (unless DEBUG=true).
  if (error instanceof ConfigError || error instanceof CatalogError || error instanceof StartupError) console.error(error.message);
  else console.error(`Start-up failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  // The stack alone: an error's other properties can hold what it was given (a URL with its password).
  if (debug) console.error((error instanceof Error && error.cause instanceof Error ? error.cause : error instanceof Error ? error : undefined)?.stack ?? '');
  process.exit(1);
});
