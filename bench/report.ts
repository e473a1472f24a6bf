import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { CpuShare } from './cpu.js';
import type { SlowLlm } from './scenarios.js';

export interface Results {
  machine: Record<string, string | number>;
  turn: {
    rps: number;
    p50_ms: number;
    p99_ms: number;
    raw_sql_rps: number;
    ratio: number;
    /** The same turns answered by the offline tutor: the service without a model call, against the same raw rate. */
    no_model: { rps: number; ratio: number };
    connections: number;
    statements: number;
    /** Milliseconds of CPU per turn by process (idle_cores: cores left idle), medians of the paired rounds; Linux only. */
    cpu_ms_per_turn?: { service_rounds: CpuShare; no_model_rounds: CpuShare; raw_rounds: CpuShare };
  };
  slow_llm: SlowLlm;
  get_session: { messages: number; p50_ms: number; raw_p50_ms: number; ratio: number };
  prompt_growth: { turn_5: number; turn_50: number; turn_200: number };
  stream: { first_byte_overhead_ms: number };
  cold_start_ms: { embedded_fresh: number; embedded: number; postgres: number | null };
}

export function machine(database: string, mode: string): Results['machine'] {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpu_model: cpus[0]?.model ?? 'unknown',
    memory_gb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    database,
    mode,
    date: new Date().toISOString(),
  };
}

// What each target asks of a figure: [label, value, target, met].
function checks(r: Results): [string, string, string, boolean][] {
  const ms = (value: number) => `${value.toFixed(2)} ms`;
  const rows: [string, string, string, boolean][] = [
    ['turn rps (0 ms LLM)', `${r.turn.rps.toFixed(0)} at ${r.turn.connections} connections`, '', true],
    ['turn raw SQL rps', `${r.turn.raw_sql_rps.toFixed(0)} (${r.turn.statements} statements)`, '', true],
    ['turn ratio', r.turn.ratio.toFixed(2), '≥ 0.5', r.turn.ratio >= 0.5],
    ['turn rps, no model call (offline tutor)', `${r.turn.no_model.rps.toFixed(0)}, ratio ${r.turn.no_model.ratio.toFixed(2)}`, '', true],
    ['turn p50 at half rate', ms(r.turn.p50_ms), '', true],
    ['turn p99 at half rate', ms(r.turn.p99_ms), '≤ 15 ms', r.turn.p99_ms <= 15],
    ['slow LLM rps', `${r.slow_llm.rps.toFixed(1)} of ${r.slow_llm.ideal_rps.toFixed(1)} ideal`, '', true],
    ['slow LLM efficiency', r.slow_llm.efficiency.toFixed(3), '≥ 0.9', r.slow_llm.efficiency >= 0.9],
    ['slow LLM efficiency, all 500 at once', r.slow_llm.synchronized_efficiency.toFixed(3), '', true],
    ['slow LLM errors', String(r.slow_llm.errors), '0', r.slow_llm.errors === 0],
    ['slow LLM peak RSS', `${r.slow_llm.peak_rss_mb.toFixed(0)} MB`, '≤ 400 MB', r.slow_llm.peak_rss_mb <= 400],
    [`GET session (${r.get_session.messages} messages) p50`, ms(r.get_session.p50_ms), '', true],
    ['GET session raw select p50', ms(r.get_session.raw_p50_ms), '', true],
    ['GET session ratio', r.get_session.ratio.toFixed(2), '≤ 2', r.get_session.ratio <= 2],
    ['prompt chars at turn 5 / 50 / 200', `${r.prompt_growth.turn_5} / ${r.prompt_growth.turn_50} / ${r.prompt_growth.turn_200}`, 'turn 200 ≤ 1.1 × turn 50', r.prompt_growth.turn_200 <= 1.1 * r.prompt_growth.turn_50],
    ['stream first-byte overhead', ms(r.stream.first_byte_overhead_ms), '≤ 5 ms', r.stream.first_byte_overhead_ms <= 5],
    ['cold start, embedded, fresh dir', `${r.cold_start_ms.embedded_fresh.toFixed(0)} ms`, '≤ 1500 ms', r.cold_start_ms.embedded_fresh <= 1500],
    ['cold start, embedded, existing dir', `${r.cold_start_ms.embedded.toFixed(0)} ms`, '≤ 800 ms', r.cold_start_ms.embedded <= 800],
    ['cold start, PostgreSQL', r.cold_start_ms.postgres === null ? 'no server' : `${r.cold_start_ms.postgres.toFixed(0)} ms`, '', true],
  ];
  return rows;
}

/**
 * A round's CPU a turn, the processes that took any:
 * `service 1.21 (main thread 1.05, waited 0.27 for a core) · PostgreSQL 0.62 · … · idle 0.45 cores`.
 */
function cpuLine(share: CpuShare, benchLabel: string): string {
  const main = share.service_main_thread >= 0.005 ? ` (main thread ${share.service_main_thread.toFixed(2)}, waited ${share.service_main_thread_waiting.toFixed(2)} for a core)` : '';
  const parts: [string, number][] = [
    ['PostgreSQL', share.database],
    ['LLM double', share.llm_double],
    [benchLabel, share.bench],
    ['other', share.other],
  ];
  const used = parts.filter(([, ms]) => ms >= 0.005).map(([label, ms]) => `${label} ${ms.toFixed(2)}`);
  const service = share.service >= 0.005 ? [`service ${share.service.toFixed(2)}${main}`] : [];
  return [...service, ...used, `idle ${share.idle_cores.toFixed(2)} cores`].join(' · ');
}

/** Prints the table and writes `bench/results/latest.json`. */
export function report(results: Results): void {
  const rows = checks(results);
  const width = [0, 1, 2].map((column) => Math.max(...rows.map((row) => String(row[column]).length)));
  console.log();
  for (const [label, value, target, met] of rows) {
    const verdict = target ? (met ? 'met' : 'MISSED') : '';
    console.log(`${label.padEnd(width[0]!)}  ${value.padStart(width[1]!)}  ${target.padEnd(width[2]!)}  ${verdict}`);
  }
  const cpu = results.turn.cpu_ms_per_turn;
  if (cpu) {
    console.log(`\nCPU a turn (ms), service rounds:  ${cpuLine(cpu.service_rounds, 'load')}`);
    console.log(`CPU a turn (ms), no model call:   ${cpuLine(cpu.no_model_rounds, 'load')}`);
    console.log(`CPU a turn (ms), raw rounds:      ${cpuLine(cpu.raw_rounds, 'replay')}`);
  }
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}latest.json`, `${JSON.stringify(results, (_key, value) => (typeof value === 'number' ? round(value) : value), 2)}\n`);
  console.log(`\nwritten to bench/results/latest.json`);
}

const round = (value: number) => (Number.isInteger(value) ? value : Math.round(value * 1000) / 1000);
