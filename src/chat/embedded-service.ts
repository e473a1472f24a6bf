import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import type { Config } from '../config.js';
import { currentRequestId } from '../http/request-id.js';
import { createLogger } from '../logger.js';

export interface RunningService {
  url: string;
  close(): Promise<void>;
}

/**
 * The service, as `npm start` runs it, inside the chat's process: listening on a free local port, its log on standard
 * error so that it does not mix with the conversation, and errors only unless LOG_LEVEL asks for debug or trace.
 */
export async function startEmbeddedService(config: Config): Promise<RunningService> {
  const level = config.logLevel === 'info' || config.logLevel === 'warn' ? 'error' : config.logLevel;
  const log = createLogger(level, currentRequestId, pino.destination({ fd: 2, sync: true }));
  const [{ buildApp }, { createDeps, closeDeps, startBackgroundJobs }] = await Promise.all([import('../app.js'), import('../deps.js')]);
  const deps = await createDeps(config, log);
  const app = await buildApp(deps, log);
  app.addHook('onClose', () => closeDeps(deps));
  await app.listen({ host: '127.0.0.1', port: 0 });
  startBackgroundJobs(deps);
  return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, close: () => app.close() };
}
