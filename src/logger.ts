import { pino, type Logger } from 'pino';
import type { Config } from './config.js';

/** JSON lines for machines; readable lines when a person is watching a terminal. */
export function createLogger(level: Config['logLevel']): Logger {
  return pino({
    level,
    redact: { paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie'], censor: '[redacted]' },
    transport: process.stdout.isTTY ? { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } : undefined,
  });
}
