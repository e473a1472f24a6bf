import { fork, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { DoubleCommand, RecordedRequest } from './llm-double.js';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface LlmDouble {
  url: string;
  pid: number;
  /** Sends a command and waits until the double has applied it. */
  send(command: Exclude<DoubleCommand, { type: 'recorded' }>): Promise<void>;
  recorded(): Promise<RecordedRequest[]>;
  stop(): Promise<void>;
}

/** The Gemini protocol double, in its own process (bench/llm-double.ts). */
export async function startLlmDouble(): Promise<LlmDouble> {
  const child = fork(fileURLToPath(new URL('./llm-double.ts', import.meta.url)), { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  const [ready] = (await once(child, 'message')) as [{ url: string }];
  return {
    url: ready.url,
    pid: child.pid!,
    async send(command) {
      child.send(command);
      await once(child, 'message');
    },
    async recorded() {
      child.send({ type: 'recorded' } satisfies DoubleCommand);
      const [answer] = (await once(child, 'message')) as [{ requests: RecordedRequest[] }];
      return answer.requests;
    },
    async stop() {
      const exited = once(child, 'exit');
      child.disconnect();
      await exited;
    },
  };
}

export interface ServiceProcess {
  url: string;
  pid: number;
  /** Milliseconds from spawning the process to its first healthy `/api/health`. */
  startMs: number;
  logFile: string;
  /** The resident set now. */
  rssMb(): number;
  /** Forgets the peak resident set so far, so that `peakRssMb` covers what follows. */
  resetPeakRss(): void;
  peakRssMb(): number;
  stop(): Promise<void>;
}

// Services still running when the benchmark exits, a failed run among them: killed with it, so that none is left
// behind listening, its database dropped under it.
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGTERM');
});

/** `npm start`'s command, `node [flags] dist/server.js`, as words: the service runs here as it runs there. */
const startCommand = (JSON.parse(readFileSync(`${root}/package.json`, 'utf8')) as { scripts: { start: string } }).scripts.start.split(' ').slice(1);

/**
 * The bundled service, started as `npm start` starts it, with only the given environment (and extra Node.js
 * flags, to profile it). Its log goes to a file: reading it through a pipe would cost the benchmark's process CPU
 * while it measures.
 */
export async function startService(env: Record<string, string>, logFile: string, nodeArgs: string[] = []): Promise<ServiceProcess> {
  const port = await freePort();
  const output = openSync(logFile, 'w');
  const startedAt = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, ...startCommand], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', output, output],
  });
  closeSync(output); // the child has its own copy
  running.add(child);
  child.once('exit', () => running.delete(child));
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(url, child, logFile);
  const startMs = performance.now() - startedAt;
  const status = () => readFileSync(`/proc/${child.pid}/status`, 'utf8');
  return {
    url,
    pid: child.pid!,
    startMs,
    logFile,
    // Writing 5 to clear_refs resets the kernel's high-water mark of the process's resident set.
    rssMb: () => Number(/VmRSS:\s+(\d+) kB/.exec(status())![1]) / 1024,
    resetPeakRss: () => writeFileSync(`/proc/${child.pid}/clear_refs`, '5'),
    peakRssMb: () => Number(/VmHWM:\s+(\d+) kB/.exec(status())![1]) / 1024,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function waitHealthy(url: string, child: ChildProcess, logFile: string): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the service exited (${child.exitCode}) before it was healthy:\n${readFileSync(logFile, 'utf8')}`);
    const healthy = await fetch(`${url}/api/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
