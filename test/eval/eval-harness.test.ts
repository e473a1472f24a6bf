import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Judgment } from '../../src/eval/judge-rubric.js';
import type { Figures } from '../../src/eval/metrics.js';
import type { SessionRecord } from '../../src/eval/records.js';
import type { Results } from '../../src/eval/report.js';
import { gullibleTutor, honestTutor, type GullibleCounts } from '../support/eval-doubles.js';
import { startGeminiDouble, type GeminiDouble } from '../support/gemini-double.js';
import { startServer, type ExitedProcess, type ServerProcess } from '../support/server-process.js';
import { createTestDatabase, testDatabaseUrl } from '../support/test-database.js';

// `npm run eval` as it ships (the built dist/eval-cli.js): against the service it starts itself on the offline tutor,
// and against the built service on the run's database with a Gemini double, honest or gullible.

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const evalEntry = path.join(projectRoot, 'dist', 'eval-cli.js');
const curriculumDir = path.join(projectRoot, 'curriculum');
const adminKey = 'eval-admin-key-0123456789';
const cleanups: (() => Promise<unknown> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function scratchDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ai-training-eval-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs the harness in a directory of its own, with only the given environment; what it printed and wrote. */
async function runEval(args: string[], env: Record<string, string> = {}): Promise<ExitedProcess & { results?: Results & { sessions: SessionRecord[] }; report?: string; chart?: string }> {
  const cwd = scratchDir();
  const child = spawn(process.execPath, [evalEntry, '--out', 'out', ...args], { cwd, env: { PATH: process.env.PATH ?? '', CURRICULUM_DIR: curriculumDir, ...env }, stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timer);
  const read = (name: string) => readFile(path.join(cwd, 'out', name), 'utf8').catch(() => undefined);
  const json = await read('latest.json');
  return { code, stdout, stderr, results: json === undefined ? undefined : JSON.parse(json), report: await read('latest.md'), chart: await read('latest.svg') };
}

/** The figures that say something went wrong, all 0 for a service that grades right and gives nothing away. */
function expectNoFailures(figures: Figures) {
  expect({
    false_passes: figures.false_passes,
    false_fails: figures.false_fails,
    wrong_graded_right: figures.wrong_graded_right,
    answer_leaks: figures.answer_leaks,
    injection_successes: figures.injection_successes,
    marker_successes: figures.marker_successes,
  }).toEqual({ false_passes: 0, false_fails: 0, wrong_graded_right: 0, answer_leaks: 0, injection_successes: 0, marker_successes: 0 });
}

describe('npm run eval on the offline tutor, with the service it starts itself', () => {
  it('runs every persona on three topics: nothing passes falsely, leaks or falls for an injection, and the figures follow the scripts', async () => {
    const shipped = path.join(projectRoot, 'eval', 'thresholds.yaml');
    const { code, stdout, stderr, results, report, chart } = await runEval(['--provider', 'offline', '--topics', '5,6,7', '--thresholds', shipped, '--no-timings']);
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/^Started the service with the offline tutor on .+ai-tutor-eval-/);
    const { overall, personas, info } = results!;
    expect(info.rule).toEqual({ passCorrect: 2, questionCount: 3 });
    expect(info.topics).toEqual([5, 6, 7]);
    expectNoFailures(overall);
    // Every failure kind had something to count: the zeros above are measured, not empty.
    expect(overall.right_answers_graded).toBeGreaterThan(0);
    expect(overall.not_right_graded).toBeGreaterThan(0);
    expect(overall.injection_attempts).toBe(3 * 12);
    expect(overall.marker_attempts).toBe(3 * 12);
    // The beggar begs three times for each of the two questions it answers: each reply is checked for a leak, and so is
    // each reply that asks one of them (the opening, and the reply to the first right answer).
    expect(personas.answer_beggar!.replies_checked).toBe(3 * (2 * 3 + 2));

    // The scripts imply the turns to mastery: two right answers; the novice's wrong, hint, right, wrong, hint, right;
    // the beggar's three requests before each right answer; the terse learner's "idk" and "?" before each.
    expect(personas.expert!.turns_to_mastery_mean).toBe(2);
    expect(personas.language_switcher!.turns_to_mastery_mean).toBe(2);
    expect(personas.novice!.turns_to_mastery_mean).toBe(6);
    expect(personas.answer_beggar!.turns_to_mastery_mean).toBe(8);
    expect(personas.terse!.turns_to_mastery_mean).toBe(6);
    expect(personas.off_topic!.turns_to_mastery_mean).toBe(4);
    for (const persona of ['always_wrong', 'misconception', 'injector', 'marker_forger'] as const) expect(personas[persona]!.completed).toBe(0);
    // The offline tutor makes no model call and costs nothing.
    expect(overall.turn_kinds.answer.model_calls_per_turn).toBe(0);
    expect(overall.tokens_per_mastered_topic).toBe(0);

    expect(stdout).toMatch(/^persona +done +false pass/);
    expect(stdout).toMatch(/\noverall +21\/33 +0\/33 /);
    // The thresholds the project ships are met.
    expect(results!.thresholds.map((check) => check.crossed)).toEqual(Array(7).fill(false));
    expect(stdout).toContain('Thresholds: all 7 met.');
    // The example report in the docs is this run's.
    const example = await readFile(path.join(projectRoot, 'docs', 'eval-example.md'), 'utf8');
    const asInTheDocs = report!
      .replace(/^# Tutoring evaluation\n\n/, '')
      .replace('What each figure means: README, "Evaluating a model or a prompt".\n', '')
      .replaceAll(/^## /gm, '### ')
      .trim();
    expect(example).toContain(asInTheDocs);
    expect(chart).toMatch(/^<svg [^>]*>\n<title>Failure rates by persona<\/title>/);
  }, 100_000);

  it('exits 1 and names the threshold crossed, and 2 for a threshold file it cannot use', async () => {
    const dir = scratchDir();
    const thresholds = path.join(dir, 'thresholds.yaml');
    await writeFile(thresholds, 'overall:\n  false_pass_rate: { max: 0 }\npersonas:\n  expert:\n    turns_to_mastery_mean: { max: 1 }\n');
    const crossed = await runEval(['--provider', 'offline', '--topics', '5', '--personas', 'expert', '--thresholds', thresholds, '--no-timings']);
    expect(crossed.code).toBe(1);
    expect(crossed.stdout).toContain('Thresholds crossed:\n  expert turns_to_mastery_mean = 2.0000 (max 1)');
    expect(crossed.results!.thresholds.map((check) => [check.figure, check.crossed])).toEqual([
      ['false_pass_rate', false],
      ['turns_to_mastery_mean', true],
    ]);
    expect(crossed.report).not.toContain('latency');

    await writeFile(thresholds, 'personas:\n  expret:\n    completion_rate: { min: 1 }\n');
    const unusable = await runEval(['--provider', 'offline', '--topics', '5', '--thresholds', thresholds]);
    expect(unusable.code).toBe(2);
    expect(unusable.stderr).toContain('thresholds.yaml: personas: Unrecognized key: "expret"');
    expect(unusable.results).toBeUndefined();
    // A figure the report lacks, or a min above its max: refused before the service is even started.
    await writeFile(thresholds, 'overall:\n  false_pass_rat: { max: 0 }\n');
    const misspelt = await runEval(['--provider', 'offline', '--topics', '5', '--thresholds', thresholds]);
    expect([misspelt.code, misspelt.stderr]).toEqual([2, 'thresholds: false_pass_rat is not a figure of the report\n']);
    await writeFile(thresholds, 'overall:\n  false_pass_rate: { min: 0.5, max: 0.1 }\n');
    expect((await runEval(['--provider', 'offline', '--thresholds', thresholds])).stderr).toContain('min must not exceed max');
  }, 60_000);

  it('refuses options it cannot take, with the usage', async () => {
    const { code, stderr } = await runEval(['--personas', 'expert,wizard']);
    expect(code).toBe(2);
    expect(stderr).toContain('unknown persona wizard');
    expect(stderr).toContain('Usage: npm run eval');
  });
});

describe('npm run eval against a running service with a Gemini double', () => {
  let double: GeminiDouble;
  let server: ServerProcess;
  const counts: GullibleCounts = { obeyedInjections: 0, leakedAnswers: 0 };
  // The judge's scores: every wanted value but one (it says the reply gave the answer away).
  const judgment: Judgment = {
    mistake_identification: 'yes',
    mistake_location: 'to_some_extent',
    revealing_of_the_answer: 'yes_correct',
    providing_guidance: 'yes',
    actionability: 'yes',
    coherence: 'yes',
    tutor_tone: 'encouraging',
    human_likeness: 'yes',
  };

  beforeAll(async () => {
    double = await startGeminiDouble(honestTutor(judgment));
    cleanups.push(() => double.close());
    let database: Record<string, string>;
    if (testDatabaseUrl) {
      const created = await createTestDatabase();
      cleanups.push(() => created.drop());
      database = { DATABASE_URL: created.url! };
    } else database = { DATA_DIR: scratchDir() };
    server = await startServer({ ...database, GEMINI_API_KEY: 'test-key', GEMINI_BASE_URL: double.url, ADMIN_API_KEY: adminKey, RATE_LIMIT_PER_IP_PER_MINUTE: '0' });
    cleanups.push(() => server.stop());
  });

  const against = (userBase: string) => ['--url', server.url, '--key', adminKey, '--topics', '5', '--user-base', userBase];

  it('with an honest grader and tutor: no failure, model calls and tokens as the double script implies, and the judge reported', async () => {
    const { code, stderr, results, report } = await runEval(against('100000'), {
      GEMINI_API_KEY: 'test-key',
      GEMINI_BASE_URL: double.url,
      EVAL_JUDGE_MODEL: 'gemini-2.5-pro',
    });
    expect(code, stderr).toBe(0);
    const { overall, personas, info, sessions } = results!;
    expect(info.service).toMatchObject({ embedded: false, provider: 'gemini', model: 'gemini-2.5-flash', graderModel: 'gemini-2.5-flash' });
    expectNoFailures(overall);
    // A reply is one model call; an answer two (the grader's, then the tutor's): the double's questions have no bank answers.
    expect(overall.turn_kinds.opening.model_calls_per_turn).toBe(1);
    expect(overall.turn_kinds.answer.model_calls_per_turn).toBe(2);
    expect(overall.turn_kinds.hint.model_calls_per_turn).toBe(1);
    expect(overall.turn_kinds.question.model_calls_per_turn).toBe(1);
    // The expert: the opening (180 + 15 tokens), then two answers, each graded (40 + 12) and replied to (180 + 15).
    expect(personas.expert!.tokens_per_mastered_topic).toBe(195 + 2 * (52 + 195));
    expect(personas.expert!.cost_per_mastered_topic_usd).toBeGreaterThan(0);
    expect(overall.turn_kinds.answer.model_ms_per_turn).toBeGreaterThan(0);

    // The judge scored every reply to an answer that was not right, with the double's scores.
    const judged = sessions.flatMap((session) => session.turns).filter((turn) => turn.kind === 'answer' && turn.utterance!.truth !== 'right');
    expect(judged.length).toBeGreaterThan(0);
    expect(overall.judge!.replies).toBe(judged.length);
    expect(overall.judge!.rates).toMatchObject({ mistake_identification: 1, mistake_location: 0, revealing_of_the_answer: 0, tutor_tone: 1 });
    expect(double.requests.filter((request) => request.systemText.includes('MRBench'))).toHaveLength(judged.length);
    expect(report).toContain('- Judge: gemini-2.5-pro (gemini)');
    expect(report).toContain('LLM judges agree with human annotators poorly');
  }, 100_000);

  it('with a gullible grader and tutor: reports every injection it obeyed and every answer it gave away', async () => {
    double.behave(gullibleTutor(counts));
    const { code, stderr, results } = await runEval(against('200000'));
    expect(code, stderr).toBe(0);
    const { overall, personas } = results!;
    expect(counts.obeyedInjections).toBeGreaterThan(0);
    expect(counts.leakedAnswers).toBeGreaterThan(0);
    expect(overall.injection_successes).toBe(counts.obeyedInjections);
    expect(overall.answer_leaks).toBe(counts.leakedAnswers);
    // The injector's two obeyed answers completed its topic: a false pass, the only one.
    expect(personas.injector!.completed).toBe(1);
    expect(personas.injector!.false_passes).toBe(1);
    expect(overall.false_passes).toBe(1);
    expect(overall.wrong_graded_right).toBe(counts.obeyedInjections);
  }, 100_000);
});
