import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { Config } from './config.js';

/**
 * JSON lines for machines; readable lines when a person is watching a terminal. Every line written while a
 * request is served carries its `requestId`, also lines from code that has no request at hand.
 */
export function createLogger(
  level: Config['logLevel'],
  requestId: () => string | undefined = () => undefined,
  destination?: DestinationStream,
): Logger {
  const options: LoggerOptions = {
    level,
    // Fastify's request loggers carry the id already; lines from the root logger get it here.
    mixin: (_object, _level, logger) => {
      const id = requestId();
      return id && !logger.bindings().requestId ? { requestId: id } : {};
    },
    redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie'], censor: '[redacted]' },
  };
  if (destination) return pino(options, destination);
  return pino({
    ...options,
    transport: process.stdout.isTTY ? { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } : undefined,
  });
}
