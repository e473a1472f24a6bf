import type { Logger } from 'pino';

/** Background work on a timer, stopped from the app's close path; tests call `runOnce` instead of waiting. */
export interface PeriodicJob<T> {
  start(): void;
  stop(): void;
  runOnce(): Promise<T>;
}

/** Runs `work` every `intervalMs` once started; a failed round is logged, and the next one runs as planned. */
export function periodicJob<T>(name: string, intervalMs: number, work: () => Promise<T>, log: Logger): PeriodicJob<T> {
  let timer: NodeJS.Timeout | undefined;
  return {
    start() {
      timer ??= setInterval(() => void work().catch((error: unknown) => log.warn({ err: error }, `${name} failed`)), intervalMs);
    },
    stop() {
      clearInterval(timer);
      timer = undefined;
    },
    runOnce: work,
  };
}
