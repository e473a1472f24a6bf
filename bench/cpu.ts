import { readdirSync, readFileSync } from 'node:fs';
import { median } from './scenarios.js';

/**
 * Where the machine's CPU goes while a figure is measured, read from Linux's /proc: the user and system time of
 * the service, the LLM double, this process (the load generator, or the raw replay) and PostgreSQL's processes,
 * and the machine's busy time, which leaves everything else (kernel threads, other programs).
 */
export interface CpuShare {
  service: number;
  /** The service's JavaScript thread alone (the rest of `service` is V8's and libuv's helper threads)… */
  service_main_thread: number;
  /** …and the time it was ready to run but waited for a core (Linux's schedstat). */
  service_main_thread_waiting: number;
  database: number;
  llm_double: number;
  /** This process: autocannon for the service's rounds, `pg` or PGlite for the raw ones. */
  bench: number;
  /** Busy time of no process above: the kernel's own threads (network, writeback) and anything else running. */
  other: number;
  /** Cores that stayed idle, on average over the round. */
  idle_cores: number;
}

interface Reading {
  at: number;
  byProcess: { service: number; database: number; llm_double: number; bench: number };
  /** The service's main thread: CPU in ticks, waiting for a core in nanoseconds. */
  mainThread: { ticks: number; waitingNs: number };
  busy: number;
  idle: number;
}

// Clock ticks per second of /proc's times: USER_HZ, 100 on every Linux platform Node.js runs on.
const ticks = 100;

/**
 * Measures `run` (which resolves to a rate per second) and the CPU it took, as milliseconds per unit of that rate;
 * without /proc (not Linux), the CPU is left out.
 */
export async function withCpu<T extends { rps: number }>(pids: { service?: number; llmDouble: number }, run: () => Promise<T>): Promise<T & { cpu?: CpuShare }> {
  const before = read(pids);
  const result = await run();
  const after = read(pids);
  if (!before || !after) return result;
  const seconds = (after.at - before.at) / 1000;
  const units = result.rps * seconds;
  const perUnit = (ticksUsed: number) => (ticksUsed / ticks / units) * 1000;
  const used = (key: keyof Reading['byProcess']) => perUnit(after.byProcess[key] - before.byProcess[key]);
  const known = Object.keys(after.byProcess).reduce((sum, key) => sum + used(key as keyof Reading['byProcess']), 0);
  return {
    ...result,
    cpu: {
      service: used('service'),
      service_main_thread: perUnit(after.mainThread.ticks - before.mainThread.ticks),
      service_main_thread_waiting: (after.mainThread.waitingNs - before.mainThread.waitingNs) / 1e6 / units,
      database: used('database'),
      llm_double: used('llm_double'),
      bench: used('bench'),
      other: Math.max(0, perUnit(after.busy - before.busy) - known),
      idle_cores: (after.idle - before.idle) / ticks / seconds,
    },
  };
}

/** Each share's median over rounds; none when a round has none (no /proc). */
export function medianCpu(rounds: (CpuShare | undefined)[]): CpuShare | undefined {
  if (rounds.length === 0 || rounds.some((round) => round === undefined)) return undefined;
  const shares = rounds as CpuShare[];
  const keys = Object.keys(shares[0]!) as (keyof CpuShare)[];
  return Object.fromEntries(keys.map((key) => [key, median(shares.map((share) => share[key]))])) as unknown as CpuShare;
}

function read(pids: { service?: number; llmDouble: number }): Reading | undefined {
  let stat: string;
  try {
    stat = readFileSync('/proc/stat', 'utf8');
  } catch {
    return undefined;
  }
  // cpu  user nice system idle iowait irq softirq steal …
  const [user, nice, system, idle, iowait, irq, softirq, steal] = stat.split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number) as number[];
  const byProcess = { service: 0, database: 0, llm_double: 0, bench: 0 };
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const times = processTimes(Number(entry));
    if (!times) continue;
    const pid = Number(entry);
    if (pid === pids.service) byProcess.service += times.own;
    else if (pid === pids.llmDouble) byProcess.llm_double += times.own;
    else if (pid === process.pid) byProcess.bench += times.own;
    // A backend that exits hands its time to the postmaster's children's time, so that is counted too.
    else if (times.command === 'postgres') byProcess.database += times.own + times.children;
  }
  return { at: performance.now(), byProcess, mainThread: mainThread(pids.service), busy: user! + nice! + system! + irq! + softirq! + steal!, idle: idle! + iowait! };
}

/** The thread whose id is the process's: the one running JavaScript. */
function mainThread(pid: number | undefined): Reading['mainThread'] {
  const times = pid === undefined ? undefined : processTimes(pid, `/proc/${pid}/task/${pid}`);
  if (!times) return { ticks: 0, waitingNs: 0 };
  // schedstat: time on a core, time waiting on a run queue (both in ns), timeslices.
  const waitingNs = Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[1]);
  return { ticks: times.own, waitingNs };
}

function processTimes(pid: number, dir = `/proc/${pid}`): { command: string; own: number; children: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`${dir}/stat`, 'utf8');
  } catch {
    return undefined; // it exited meanwhile
  }
  // The command is in parentheses and may itself hold spaces or parentheses: the fields follow the last ')'.
  const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command: state, ppid, … utime is the 14th field of the line, stime the 15th, cutime, cstime.
  const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number) as [number, number, number, number];
  return { command, own: utime + stime, children: cutime + cstime };
}
