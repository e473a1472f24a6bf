import { parseArgs } from 'node:util';
import { UsageError } from '../command-line.js';
import { personaNames, type PersonaName } from './personas.js';

/** The evaluation harness's command line. */
export interface EvalOptions {
  /** The tutor of the embedded service; unset: the one this environment configures. Not with `url`. */
  provider?: 'offline' | 'gemini' | 'openai';
  /** A running service to evaluate; unset: one started in this process on a temporary data directory. */
  url?: string;
  /** The running service's admin key; unset: ADMIN_API_KEY of this environment. */
  key?: string;
  /** Its metrics token, for the model time per turn; unset: METRICS_TOKEN of this environment. */
  metricsToken?: string;
  /** The completion marker the service's tutor writes; unset: COMPLETION_MARKER of this environment. */
  marker?: string;
  /** Unset: every topic of every course. */
  topics?: number[];
  personas: PersonaName[];
  runs: number;
  maxTurns: number;
  seed: number;
  /**
   * The learner ids the harness uses start after this one, so that they do not mix with real learners'; unset: 900000
   * for the service started here (its database is new), a block of its own from the clock for one at --url.
   */
  userBase?: number;
  out: string;
  /** Unset: eval/thresholds.yaml when it exists. */
  thresholds?: string;
  timings: boolean;
}

export const usage = `Usage: npm run eval -- [options]

Drives the tutoring service with scripted learners (personas) over its API, reports how it graded,
leaked, resisted injections and what a mastered topic cost, and exits 1 when a threshold is crossed.

  --provider P        offline | gemini | openai: the tutor of the service started here (default:
                      the one this environment configures: LLM_PROVIDER, GEMINI_API_KEY, ...)
  --url URL           evaluate the service running at URL instead (graded policy), with its admin key
                      (it reads the expected answers through the teacher API) and its metrics token
                      (for the model time per turn) from ADMIN_API_KEY and METRICS_TOKEN in the
                      environment or .env
  --key KEY           that admin key (ADMIN_API_KEY is better: a command line is visible to others)
  --metrics-token T   that metrics token (METRICS_TOKEN is better, likewise)
  --marker TEXT       that service's COMPLETION_MARKER, when it differs from this environment's
  --topics 5,6,7      the topics (default: every topic of every course)
  --personas a,b      the personas (default: all): ${personaNames.join(', ')}
  --runs N            how many times each persona learns each topic (default 1)
  --max-turns N       the most messages a persona sends in a session (default 12)
  --seed N            the seed of the personas' choices (default 1)
  --user-base N       the learners' ids start after N (default: 900000 for the service started
                      here; with --url, a block of ids of its own each run, from the clock)
  --out DIR           where latest.json, latest.md and latest.svg are written (default eval/results)
  --thresholds FILE   the thresholds (default eval/thresholds.yaml)
  --no-timings        leave latencies and model times out of the report
  --help              this text

With EVAL_JUDGE_MODEL set, a judge model scores each tutor reply to a wrong answer on MRBench's
dimensions (README, "Evaluating a model or a prompt").`;


const whole = (name: string, value: string | undefined, fallback: number, min: number, max: number): number => {
  if (value === undefined) return fallback;
  if (!/^\d{1,10}$/.test(value) || Number(value) < min || Number(value) > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}`);
  return Number(value);
};

/** The options, or undefined for --help; throws UsageError for anything it cannot take. */
export function parseOptions(argv: string[]): EvalOptions | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        provider: { type: 'string' },
        url: { type: 'string' },
        key: { type: 'string' },
        'metrics-token': { type: 'string' },
        topics: { type: 'string' },
        personas: { type: 'string' },
        runs: { type: 'string' },
        'max-turns': { type: 'string' },
        seed: { type: 'string' },
        'user-base': { type: 'string' },
        out: { type: 'string' },
        thresholds: { type: 'string' },
        marker: { type: 'string' },
        'no-timings': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return undefined;
  if (values.provider !== undefined && !['offline', 'gemini', 'openai'].includes(values.provider)) throw new UsageError('--provider must be offline, gemini or openai');
  if (values.url !== undefined && !/^https?:\/\/[^/]+/.test(values.url)) throw new UsageError('--url must be an http:// or https:// URL');
  if (values.url !== undefined && values.provider !== undefined) throw new UsageError('--provider is for the service started here: a service at --url has its own');
  if (values.url === undefined && (values.key !== undefined || values['metrics-token'] !== undefined || values.marker !== undefined)) {
    throw new UsageError('--key, --metrics-token and --marker go with --url');
  }
  return {
    provider: values.provider as EvalOptions['provider'],
    url: values.url?.replace(/\/+$/, ''),
    key: values.key,
    metricsToken: values['metrics-token'],
    marker: values.marker,
    topics: values.topics === undefined ? undefined : list(values.topics, '--topics').map((id) => whole('topics', id, 0, 1, 2_147_483_647)),
    personas: values.personas === undefined || values.personas === 'all' ? [...personaNames] : personasOf(values.personas),
    runs: whole('runs', values.runs, 1, 1, 1000),
    maxTurns: whole('max-turns', values['max-turns'], 12, 1, 200),
    seed: whole('seed', values.seed, 1, 0, 4_294_967_295),
    userBase: values['user-base'] === undefined ? undefined : whole('user-base', values['user-base'], 0, 1, 2_000_000_000),
    out: values.out ?? 'eval/results',
    thresholds: values.thresholds,
    timings: !values['no-timings'],
  };
}

function list(value: string, name: string): string[] {
  const items = value.split(',').map((item) => item.trim());
  if (items.some((item) => item === '')) throw new UsageError(`${name} takes a comma-separated list`);
  return [...new Set(items)];
}

function personasOf(value: string): PersonaName[] {
  const names = list(value, '--personas');
  const unknown = names.filter((name) => !(personaNames as readonly string[]).includes(name));
  if (unknown.length > 0) throw new UsageError(`unknown persona ${unknown.join(', ')}; the personas are ${personaNames.join(', ')}`);
  return names as PersonaName[];
}
