#!/usr/bin/env node
// `npm run eval`: the tutoring service driven by scripted learners, its figures reported and checked against
// thresholds, so that a change of model, prompt or grader can be gated in CI.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { CatalogError } from '../curriculum/catalog-error.js';
import { ApiError } from '../client/http.js';
import { startEmbeddedService, type RunningService } from '../chat/embedded-service.js';
import { createJudge, type Judge } from './judge.js';
import { commandOptions } from '../command-line.js';
import { parseOptions, usage, type EvalOptions } from './options.js';
import { markdownReport, svgChart, terminalTable } from './report.js';
import { figures } from './metrics.js';
import { EvaluationError, runEvaluation, type EvaluationTarget } from './run-evaluation.js';
import { loadThresholds, ThresholdsError, validateThresholds, type Thresholds } from './thresholds.js';

const defaultThresholds = 'eval/thresholds.yaml';

async function main(): Promise<number> {
  const command = commandOptions(parseOptions, usage, process.argv.slice(2));
  if ('exitCode' in command) return command.exitCode;
  const { options } = command;

  let service: RunningService | undefined;
  let dataDir: string | undefined;
  const cleanUp = async () => {
    await service?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  };
  // Interrupted, it still closes the service it started and removes its data directory.
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) process.once(signal, () => void cleanUp().finally(() => process.exit(code)));
  // A reader that went away (`| head`) is no failure of the run.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  try {
    const thresholds = await thresholdsOf(options);
    const config = loadConfig();
    const judge = await judgeOf(config);
    validateThresholds(thresholds, figures([], { passCorrect: 1, questionCount: 1 }), judge !== undefined);
    let target: EvaluationTarget;
    if (options.url) {
      const metricsToken = options.metricsToken ?? config.metricsToken;
      target = {
        url: options.url,
        adminKey: options.key ?? config.auth.adminApiKeys[0],
        embedded: false,
        marker: options.marker ?? config.tutoring.completionMarker,
        // A block of ids of its own: learners of an earlier run would bring their history into this one's prompts.
        userBase: options.userBase ?? 1_000_000_000 + (Math.floor(Date.now() / 10) % 1_000_000_000),
        modelSeconds: modelSeconds(options.url, metricsToken),
      };
    } else {
      dataDir = await mkdtemp(path.join(tmpdir(), 'ai-tutor-eval-'));
      const adminKey = randomBytes(24).toString('hex');
      const embedded = loadConfig(embeddedOverrides(options, dataDir, adminKey));
      service = await startEmbeddedService(embedded);
      target = {
        url: service.url,
        adminKey,
        embedded: true,
        marker: embedded.tutoring.completionMarker,
        userBase: options.userBase ?? 900_000,
        modelSeconds: modelSeconds(service.url, undefined),
      };
      console.error(`Started the service with ${embedded.llm.provider === 'offline' ? 'the offline tutor' : `${embedded.llm.provider} (${embedded.llm.model})`} on ${dataDir}.`);
    }
    if ((await target.modelSeconds()) === null) console.error('The service\'s /metrics cannot be read (METRICS_TOKEN?): model time per turn is left out.');

    const { results, sessions } = await runEvaluation(target, options, thresholds, judge, (line) => console.error(line));
    await mkdir(options.out, { recursive: true });
    const files = { json: path.join(options.out, 'latest.json'), markdown: path.join(options.out, 'latest.md'), svg: path.join(options.out, 'latest.svg') };
    await writeFile(files.json, `${JSON.stringify({ ...results, sessions }, null, 2)}\n`);
    await writeFile(files.markdown, markdownReport(results, { timings: options.timings }));
    await writeFile(files.svg, svgChart(results));
    console.log(terminalTable(results));
    console.log(`\nReport: ${files.markdown}, chart: ${files.svg}, figures and every turn: ${files.json}`);
    return results.thresholds.some((check) => check.crossed) ? 1 : 0;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof CatalogError || error instanceof ThresholdsError || error instanceof EvaluationError) {
      console.error(error.message);
      return 2;
    }
    if (error instanceof ApiError) {
      console.error(`The service answered ${error.status || 'nothing'} (${error.code}): ${error.detail}`);
      return 2;
    }
    throw error;
  } finally {
    await cleanUp();
  }
}

/** The thresholds file asked for, or the default one when it exists; none otherwise. */
async function thresholdsOf(options: EvalOptions): Promise<Thresholds> {
  if (options.thresholds) return loadThresholds(options.thresholds);
  return existsSync(defaultThresholds) ? loadThresholds(defaultThresholds) : {};
}

/** The judge, on the provider EVAL_JUDGE_PROVIDER names with that provider's settings; none without EVAL_JUDGE_MODEL. */
async function judgeOf(config: Config): Promise<Judge | undefined> {
  const { judgeModel, judgeProvider } = config.evaluation;
  if (!judgeModel) return undefined;
  const modelVariable = judgeProvider === 'gemini' ? 'GEMINI_MODEL' : 'OPENAI_MODEL';
  return createJudge(loadConfig({ LLM_PROVIDER: judgeProvider, [modelVariable]: judgeModel }));
}

/**
 * The embedded service's configuration: this environment's (its tutor, prompts, catalog, prices), on a temporary
 * PGlite directory, with an admin key of its own, no rate limits, and nobody told of its completions or events.
 */
function embeddedOverrides(options: EvalOptions, dataDir: string, adminKey: string): Record<string, string> {
  return {
    ...(options.provider ? { LLM_PROVIDER: options.provider } : {}),
    DATA_DIR: dataDir,
    DATABASE_URL: '',
    REDIS_URL: '',
    DOTNET_API_URL: '',
    EVENTS_WEBHOOK_URL: '',
    ADMIN_API_KEY: adminKey,
    METRICS_TOKEN: '',
    RATE_LIMIT_PER_MINUTE: '0',
    RATE_LIMIT_PER_IP_PER_MINUTE: '0',
  };
}

/** Reads the seconds the service has spent in model calls, from its /metrics; null when they cannot be read. */
function modelSeconds(url: string, token: string | undefined): () => Promise<number | null> {
  return async () => {
    try {
      const response = await fetch(`${url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      if (!response.ok) return null;
      const text = await response.text();
      return [...text.matchAll(/^llm_call_duration_seconds_sum(?:\{[^}]*\})? (\S+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
    } catch {
      return null;
    }
  };
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`The evaluation failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
