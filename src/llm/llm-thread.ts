import { AsyncResource } from 'node:async_hooks';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Grade, LlmProvider, TutorEvent } from './llm.js';
import type { ErrorFacts } from './llm-error.js';
import type { ModelLlmConfig, ThreadAnswer, ThreadCall, ThreadData } from './llm-thread-protocol.js';

/** The LLM thread's entry: the bundle's file beside this one, or the source file when run from source. */
const defaultEntry = new URL(import.meta.url.endsWith('.ts') ? './llm-thread-worker.ts' : './llm-thread-worker.js', import.meta.url);

export interface LlmThread extends LlmProvider {
  /** Stops the thread; calls still in flight fail. */
  close(): Promise<void>;
}

/** A call in flight: what its answers go to, run in the async context of the request that made it. */
interface OpenCall {
  scope: AsyncResource;
  answer(message: Exclude<ThreadAnswer, { type: 'log' }>): void;
  fail(error: Error): void;
}

/**
 * The model provider (Gemini, OpenAI-compatible) on a worker thread of its own. A model call is the costliest part
 * of a turn for the service's CPU: the prompt's conversion, the ~20 KB request's JSON, the HTTP exchange, the
 * response's parsing and checking took about half of the service's thread's time a turn (BENCHMARKS.md, Turns).
 * There it no longer delays the other requests, and it uses the second core. Calls cross as structured clones of
 * the request and the reply's events; an error crosses as what the service logs and counts of it. A thread that
 * stops (a crash) fails the calls in flight, which the service answers with 503, and the next call starts another.
 */
export function createLlmThread(llm: ModelLlmConfig, logLevel: Config['logLevel'], log: Logger, entry: URL = defaultEntry): LlmThread {
  const calls = new Map<number, OpenCall>();
  let nextId = 0;
  let worker: Worker | undefined;
  let closed = false;

  const start = () => {
    const data: ThreadData = { llm, logLevel };
    const thread = entry.pathname.endsWith('.ts')
      ? // From source, the thread compiles TypeScript as the service's thread does (tsx, a development dependency).
        // Node.js 20 does not apply `--import tsx` to a worker's entry, so the entry is imported once tsx is in place.
        new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); })`, {
          eval: true,
          workerData: data,
        })
      : new Worker(entry, { workerData: data });
    // The thread keeps no process alive: the HTTP server and the database do, and close() stops it with them.
    thread.unref();
    thread.on('message', (message: ThreadAnswer) => {
      if (message.type === 'log') {
        relayLog(message.line, message.id === undefined ? undefined : calls.get(message.id));
        return;
      }
      const call = calls.get(message.id);
      call?.scope.runInAsyncScope(() => call.answer(message));
    });
    thread.on('error', (error) => log.error({ err: error }, 'the LLM thread failed'));
    thread.on('exit', (code) => {
      if (worker === thread) worker = undefined;
      const stopped = new Error(closed ? 'the LLM thread is closed' : `the LLM thread stopped (exit code ${code})`);
      for (const call of calls.values()) call.scope.runInAsyncScope(() => call.fail(stopped));
      calls.clear();
    });
    return thread;
  };

  /** Written by the service's logger, in the request's context, so that the line carries its id. */
  const relayLog = (line: string, call: OpenCall | undefined) => {
    const { level, msg, ...fields } = JSON.parse(line) as { level: number; msg?: string };
    const write = () => log[log.levels.labels[level] as 'info'](fields, msg);
    if (call) call.scope.runInAsyncScope(write);
    else write();
  };

  /** Sends a call, whose answers go to `open`; returns what forgets it (answers that come later are dropped). */
  const send = (call: ThreadCall['type'], request: unknown, open: Omit<OpenCall, 'scope'>) => {
    if (closed) throw new Error('the LLM thread is closed');
    const id = nextId++;
    calls.set(id, { ...open, scope: new AsyncResource('LlmThreadCall') });
    (worker ??= start()).postMessage({ id, type: call, request } as ThreadCall);
    return () => calls.delete(id);
  };

  worker = start();
  return {
    name: llm.provider,
    model: llm.model,

    async *respond(request) {
      const batches: TutorEvent[][] = [];
      let over = false;
      let failure: Error | undefined;
      let wake = () => {};
      const forget = send('respond', request, {
        answer: (message) => {
          if (message.type === 'events') {
            batches.push(message.events);
            over = message.end;
          } else if (message.type === 'error') failure = threadError(message.error);
          wake();
        },
        fail: (error) => {
          failure = error;
          wake();
        },
      });
      try {
        for (;;) {
          const batch = batches.shift();
          if (batch) yield* batch;
          else if (failure) throw failure;
          else if (over) return;
          else await new Promise<void>((resolve) => (wake = resolve));
        }
      } finally {
        forget();
      }
    },

    grade(request) {
      return new Promise<Grade>((resolve, reject) => {
        const forget = send('grade', request, {
          answer: (message) => {
            forget();
            if (message.type === 'grade') resolve(message.grade);
            else if (message.type === 'error') reject(threadError(message.error));
          },
          fail: (error) => {
            forget();
            reject(error);
          },
        });
      });
    },

    async close() {
      closed = true;
      await worker?.terminate();
    },
  };
}

/** The error as the service's thread sees it: the provider's name, message, status and cause. */
function threadError({ name, message, statusCode, isRetryable, cause }: ErrorFacts): Error {
  const error = new Error(message, cause === undefined ? undefined : { cause: new Error(cause) });
  return Object.assign(error, { name, statusCode, isRetryable });
}
