import { loadConfig } from '../config.js';
import { startEmbeddedService, type RunningService } from './embedded-service.js';

export interface Connection extends RunningService {
  /** What the chat uses, in words, for the learner to read. */
  description: string;
  /** For the service started here: its service key, if it requires one (the chat acts with it for the learner). */
  serviceKey?: string;
}

const probeTimeoutMs = 1000;

/** Whether an AI Training Service answers at `url` (its liveness route). */
async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(probeTimeoutMs) });
    const body = (await response.json()) as { service?: unknown };
    return typeof body.service === 'string';
  } catch {
    return false;
  }
}

/**
 * The service the chat talks to: the one at `url`; without one, the service this machine's configuration runs
 * (http://127.0.0.1:PORT) if it answers; otherwise the service started in this process, with that configuration.
 */
export async function connect(url: string | undefined): Promise<Connection> {
  if (url) return { url, description: `Using the service at ${url}.`, close: async () => {} };
  const config = loadConfig();
  const local = `http://127.0.0.1:${config.port}`;
  if (await answers(local)) return { url: local, description: `Using the service running at ${local}.`, close: async () => {} };
  const service = await startEmbeddedService(config);
  const where = config.database.kind === 'pglite' ? `its data in ${config.database.dataDir}` : 'its data in DATABASE_URL';
  const tutor = config.llm.provider === 'offline' ? 'the offline tutor' : `${config.llm.provider} (${config.llm.model})`;
  return {
    ...service,
    description: `No service answers at ${local}: started one in this process, with ${where} and ${tutor}.`,
    serviceKey: config.auth.serviceApiKeys[0],
  };
}
