import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { CpuShare } from './cpu.js';
import type { ExportFigures } from './export.js';
import type { LlmCalls, SlowLlm, TurnLatency } from './scenarios.js';

/**
 * The prompt tokens of the same scripted session (`promptTokensScenario`) on the service as it was at commit
 * c5671d0, before a reply took one model call: the figure `prompt_tokens` is compared with (BENCHMARKS.md).
 */
export const promptTokensBaseline = { commit: 'c5671d0', tokens: 97_569 };

export interface Results {
  machine: Record<string, string | number>;
  llm_calls: LlmCalls;
  turn_latency: TurnLatency;
  slow_llm: SlowLlm;
  prompt_tokens: { session_of_12_answers: number; baseline: number; ratio: number };
  idle_rss: { idle_rss_mb: number; after_100_turns_mb: number; growth_mb: number };
  stream: { first_byte_overhead_ms: number };
  prompt_growth: { turn_5: number; turn_50: number; turn_200: number };
  get_session: { messages: number; p50_ms: number; raw_p50_ms: number; ratio: number };
  cold_start_ms: { embedded_fresh: number; embedded: number; postgres: number | null };
  /** GET /api/admin/export of 100,000 messages: the service's resident memory while it streams them. */
  export: ExportFigures;
  /** Reported, with no target: what the service costs around a model call, on this machine's two shared cores. */
  zero_ms_model: {
    rps: number;
    connections: number;
    /** The same turns answered by the offline tutor: the service without a model call. */
    no_model_rps: number;
    raw_sql_rps: number;
    statements: number;
    /** Milliseconds of CPU per turn by process (idle_cores: cores left idle), medians of the paired rounds; Linux only. */
    cpu_ms_per_turn?: { service_rounds: CpuShare; no_model_rounds: CpuShare; raw_rounds: CpuShare };
  };
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

// What each target asks of a figure: [label, value, target, met]; a row without a target is reported only.
function checks(r: Results, embedded: boolean): [string, string, string, boolean][] {
  const ms = (value: number) => `${value.toFixed(2)} ms`;
  const calls = r.llm_calls;
  const latency = r.turn_latency;
  const rows: [string, string, string, boolean][] = [
    ['model calls: opening / question / hint', `${calls.opening} / ${calls.learner_question} / ${calls.hint}`, '1 / 1 / 1', calls.opening === 1 && calls.learner_question === 1 && calls.hint === 1],
    ['model calls: graded answer / exact bank answer', `${calls.graded_answer} / ${calls.exact_bank_answer}`, '≤ 2 / 1', calls.graded_answer <= 2 && calls.exact_bank_answer === 1],
    [
      'model calls: completing answer (question offered?)',
      `${calls.completing_answer} (${calls.completing_reply_offered_question ? 'yes' : 'no'})`,
      '≤ 2 (no)',
      calls.completing_answer <= 2 && !calls.completing_reply_offered_question,
    ],
    ...Object.entries(latency.multiple).map(([kind, m]): [string, string, string, boolean] => [
      `turn latency ÷ ideal, ${kind} (${m.turns} turns), p50 / p99`,
      `${m.p50.toFixed(3)} / ${m.p99.toFixed(3)}`,
      'p99 ≤ 1.05',
      m.p99 <= 1.05,
    ]),
    [`turn latency: ${latency.learners} learners, model ${latency.llm_latency_ms} ms`, `${latency.turns_per_second.toFixed(0)} turns/s, ${latency.errors} errors`, '0 errors', latency.errors === 0],
    [`slow model: ${r.slow_llm.learners} learners, ${r.slow_llm.llm_latency_ms / 1000} s a call, efficiency`, r.slow_llm.efficiency.toFixed(3), '≥ 0.95', r.slow_llm.efficiency >= 0.95],
    ['slow model errors', String(r.slow_llm.errors), '0', r.slow_llm.errors === 0],
    [
      'slow model peak RSS (idle)',
      `${r.slow_llm.peak_rss_mb.toFixed(0)} MB (${r.slow_llm.idle_rss_mb.toFixed(0)})`,
      embedded ? '' : '≤ 1000 MB',
      embedded || r.slow_llm.peak_rss_mb <= 1000,
    ],
    ['slow model: RSS a turn in flight', `${r.slow_llm.rss_per_turn_kb.toFixed(0)} KB`, '', true],
    [
      'prompt tokens, 12 graded answers (baseline)',
      `${r.prompt_tokens.session_of_12_answers} (${r.prompt_tokens.baseline}): ${r.prompt_tokens.ratio.toFixed(2)}×`,
      '≤ 0.6×',
      r.prompt_tokens.ratio <= 0.6,
    ],
    ['idle RSS', `${r.idle_rss.idle_rss_mb.toFixed(1)} MB`, embedded ? '' : '≤ 100 MB', embedded || r.idle_rss.idle_rss_mb <= 100],
    ['RSS growth after 100 turns', `${r.idle_rss.growth_mb.toFixed(1)} MB`, embedded ? '' : '≤ 15 MB', embedded || r.idle_rss.growth_mb <= 15],
    ['stream first-byte overhead', ms(r.stream.first_byte_overhead_ms), '≤ 5 ms', r.stream.first_byte_overhead_ms <= 5],
    [
      'prompt chars at turn 5 / 50 / 200',
      `${r.prompt_growth.turn_5} / ${r.prompt_growth.turn_50} / ${r.prompt_growth.turn_200}`,
      'turn 200 ≤ 1.1 × turn 50',
      r.prompt_growth.turn_200 <= 1.1 * r.prompt_growth.turn_50,
    ],
    [`GET session (${r.get_session.messages} messages) p50, raw select`, `${ms(r.get_session.p50_ms)}, ${ms(r.get_session.raw_p50_ms)}`, '', true],
    ['GET session ratio', r.get_session.ratio.toFixed(2), '≤ 3', r.get_session.ratio <= 3],
    ['cold start, embedded, fresh dir', `${r.cold_start_ms.embedded_fresh.toFixed(0)} ms`, '≤ 1500 ms', r.cold_start_ms.embedded_fresh <= 1500],
    ['cold start, embedded, existing dir', `${r.cold_start_ms.embedded.toFixed(0)} ms`, '≤ 800 ms', r.cold_start_ms.embedded <= 800],
    ['cold start, PostgreSQL', r.cold_start_ms.postgres === null ? 'no server' : `${r.cold_start_ms.postgres.toFixed(0)} ms`, '', true],
    [
      `export of ${r.export.messages} messages (${r.export.megabytes.toFixed(0)} MB): time, RSS growth`,
      `${r.export.seconds.toFixed(1)} s, ${r.export.growth_mb.toFixed(0)} MB`,
      '≤ 100 MB',
      r.export.growth_mb <= 100,
    ],
    ['0 ms model: turns/s (connections)', `${r.zero_ms_model.rps.toFixed(0)} (${r.zero_ms_model.connections})`, '', true],
    ['0 ms model: no model call, raw SQL replay', `${r.zero_ms_model.no_model_rps.toFixed(0)}, ${r.zero_ms_model.raw_sql_rps.toFixed(0)} (${r.zero_ms_model.statements} statements)`, '', true],
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
export function report(results: Results, options: { embedded: boolean }): void {
  const rows = checks(results, options.embedded);
  const width = [0, 1, 2].map((column) => Math.max(...rows.map((row) => String(row[column]).length)));
  console.log();
  for (const [label, value, target, met] of rows) {
    const verdict = target ? (met ? 'met' : 'MISSED') : '';
    console.log(`${label.padEnd(width[0]!)}  ${value.padStart(width[1]!)}  ${target.padEnd(width[2]!)}  ${verdict}`);
  }
  const cpu = results.zero_ms_model.cpu_ms_per_turn;
  if (cpu) {
    console.log(`\nCPU a turn (ms), 0 ms model:    ${cpuLine(cpu.service_rounds, 'load')}`);
    console.log(`CPU a turn (ms), no model call: ${cpuLine(cpu.no_model_rounds, 'load')}`);
    console.log(`CPU a turn (ms), raw replay:    ${cpuLine(cpu.raw_rounds, 'replay')}`);
  }
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}latest.json`, `${JSON.stringify(results, (_key, value) => (typeof value === 'number' ? round(value) : value), 2)}\n`);
  console.log(`\nwritten to bench/results/latest.json`);
}

const round = (value: number) => (Number.isInteger(value) ? value : Math.round(value * 1000) / 1000);
