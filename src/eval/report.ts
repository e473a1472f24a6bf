import { desired, dimensions } from './judge-rubric.js';
import type { Figures } from './metrics.js';
import { personaDescriptions, type PersonaName } from './personas.js';
import { turnKinds, type RunInfo } from './records.js';
import type { ThresholdCheck } from './thresholds.js';

export interface Results {
  info: RunInfo;
  overall: Figures;
  personas: Partial<Record<PersonaName, Figures>>;
  thresholds: ThresholdCheck[];
}

export interface ReportOptions {
  /** Whether latencies and model times are shown (not in a report meant to stay the same from run to run). */
  timings: boolean;
}

// The rates that say something went wrong, as the table and the chart show them.
const failures = [
  ['false pass', 'false_passes', 'sessions', 'false_pass_rate'],
  ['false fail', 'false_fails', 'right_answers_graded', 'false_fail_rate'],
  ['wrong graded right', 'wrong_graded_right', 'not_right_graded', 'wrong_graded_right_rate'],
  ['answer leak', 'answer_leaks', 'replies_checked', 'answer_leak_rate'],
  ['injection success', 'injection_successes', 'injection_attempts', 'injection_success_rate'],
  ['marker success', 'marker_successes', 'marker_attempts', 'marker_success_rate'],
] as const satisfies readonly (readonly [string, keyof Figures, keyof Figures, keyof Figures])[];

const count = (figures: Figures, of: keyof Figures, total: keyof Figures) => `${figures[of] as number}/${figures[total] as number}`;
const percent = (value: number | null) => (value === null ? '–' : `${(value * 100).toFixed(value === 0 || value === 1 ? 0 : 1)} %`);
const number = (value: number | null, digits = 1) => (value === null ? '–' : value.toFixed(digits));
const usd = (value: number | null) => (value === null ? '–' : `$${value.toFixed(6)}`);

function rows(results: Results): [string, Figures][] {
  return [...Object.entries(results.personas), ['overall', results.overall]] as [string, Figures][];
}

/** The table printed to the terminal: one line for each persona and one for the whole run. */
export function terminalTable(results: Results): string {
  const header = ['persona', 'done', ...failures.map(([label]) => label), 'turns', 'tokens/mastered'];
  const lines = rows(results).map(([name, figures]) => [
    name,
    count(figures, 'completed', 'sessions'),
    ...failures.map(([, of, total]) => count(figures, of, total)),
    number(figures.turns_to_mastery_mean),
    number(figures.tokens_per_mastered_topic, 0),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]!.length)));
  const format = (cells: string[]) => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  const crossed = results.thresholds.filter((check) => check.crossed);
  return [
    format(header),
    ...lines.map(format),
    '',
    crossed.length === 0
      ? `Thresholds: all ${results.thresholds.length} met.`
      : `Thresholds crossed:\n${crossed.map((check) => `  ${check.scope} ${check.figure} = ${number(check.value, 4)} (${limitText(check)})`).join('\n')}`,
  ].join('\n');
}

function limitText(check: ThresholdCheck): string {
  return [check.min !== undefined ? `min ${check.min}` : '', check.max !== undefined ? `max ${check.max}` : ''].filter(Boolean).join(', ');
}

/** The Markdown report: how the run was made, the figures overall, by persona and by turn kind, the judge's, the thresholds. */
export function markdownReport(results: Results, options: ReportOptions): string {
  const { info, overall } = results;
  const { service, rule } = info;
  const table = (header: string[], body: string[][]) =>
    [`| ${header.join(' | ')} |`, `|${header.map((_, index) => (index === 0 ? '---' : '---:')).join('|')}|`, ...body.map((line) => `| ${line.join(' | ')} |`)].join('\n');

  const lines = [
    '# Tutoring evaluation',
    '',
    `- Service: ${service.embedded ? 'embedded, on a temporary data directory' : service.url}; tutor ${service.provider}` +
      `${service.model ? ` (${service.model})` : ''}, grader ${service.graderModel ?? 'unknown'}`,
    `- Pass rule: ${rule.passCorrect} of the last ${rule.questionCount} answers right`,
    `- Topics ${info.topics.join(', ')}; ${info.personas.length} personas; ${info.runs} run${info.runs === 1 ? '' : 's'}; at most ${info.maxTurns} messages a session`,
    `- Judge: ${info.judge ? `${info.judge.model} (${info.judge.provider})` : 'none (set EVAL_JUDGE_MODEL)'}`,
    '',
    '## Overall',
    '',
    table(
      ['figure', 'value', 'count'],
      [
        ['topics mastered', percent(overall.completion_rate), count(overall, 'completed', 'sessions')],
        ...failures.map(([label, of, total, rate]) => [label, percent(overall[rate] as number | null), count(overall, of, total)]),
        ['turns to mastery (mean, median)', `${number(overall.turns_to_mastery_mean)}, ${number(overall.turns_to_mastery_median)}`, ''],
        ['tokens per mastered topic', number(overall.tokens_per_mastered_topic, 0), ''],
        ['cost per mastered topic', usd(overall.cost_per_mastered_topic_usd), ''],
      ],
    ),
    '',
    '## By persona',
    '',
    table(
      ['persona', 'mastered', ...failures.map(([label]) => label), 'turns to mastery', 'tokens per mastered topic'],
      (Object.entries(results.personas) as [PersonaName, Figures][]).map(([name, figures]) => [
        name,
        count(figures, 'completed', 'sessions'),
        ...failures.map(([, of, total]) => count(figures, of, total)),
        number(figures.turns_to_mastery_mean),
        number(figures.tokens_per_mastered_topic, 0),
      ]),
    ),
    '',
    (Object.keys(results.personas) as PersonaName[]).map((name) => `- ${name}: ${personaDescriptions[name]}`).join('\n'),
    '',
    '## Model calls by turn kind',
    '',
    table(
      ['turn kind', 'turns', 'model calls per turn', ...(options.timings ? ['model time per turn (ms)', 'latency per turn (ms)'] : [])],
      turnKinds.map((kind) => {
        const figures = overall.turn_kinds[kind];
        return [
          kind,
          String(figures.turns),
          number(figures.model_calls_per_turn, 2),
          ...(options.timings ? [number(figures.model_ms_per_turn), number(figures.latency_ms_per_turn)] : []),
        ];
      }),
    ),
    ...(options.timings ? ['', 'Latency is meaningful only against a real model: a double or the offline tutor answers at once.'] : []),
  ];

  if (overall.judge) {
    lines.push(
      '',
      '## Judge',
      '',
      `${info.judge!.model} scored ${overall.judge.replies} tutor replies to wrong answers on MRBench's dimensions (the share with the wanted value)` +
        (overall.judge.failed > 0 ? `; it failed to score ${overall.judge.failed} more.` : '.'),
      '',
      table(
        ['dimension', 'wanted', 'share'],
        dimensions.map((dimension) => [dimension.replaceAll('_', ' '), desired[dimension].replaceAll('_', ' '), percent(overall.judge!.rates[dimension])]),
      ),
      '',
      '> LLM judges agree with human annotators poorly on several of these dimensions (MRBench reports low agreement for mistake',
      '> location, providing guidance, actionability and human-likeness): read these shares as a comparison between runs, not as a grade.',
    );
  }

  lines.push(
    '',
    '## Thresholds',
    '',
    results.thresholds.length === 0
      ? 'None.'
      : table(
          ['scope', 'figure', 'value', 'limit', 'result'],
          results.thresholds.map((check) => [check.scope, check.figure, number(check.value, 4), limitText(check), check.crossed ? '**crossed**' : 'met']),
        ),
    '',
    'What each figure means: README, "Evaluating a model or a prompt".',
    '',
  );
  return lines.join('\n');
}

/** An SVG chart of the failure rates: a row for each persona, a column for each rate, darker when higher. */
export function svgChart(results: Results): string {
  const entries = rows(results);
  const cell = { width: 96, height: 28 };
  const left = 150;
  const top = 70;
  const width = left + failures.length * cell.width + 10;
  const height = top + entries.length * cell.height + 30;
  const escape = (text: string) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;');
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>Failure rates by persona</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">Failure rates by persona (lower is better)</text>`,
    ...failures.map(
      ([label], column) =>
        `<text x="${left + column * cell.width + cell.width / 2}" y="${top - 10}" text-anchor="middle">${escape(label)}</text>`,
    ),
  ];
  entries.forEach(([name, figures], row) => {
    const y = top + row * cell.height;
    parts.push(`<text x="${left - 8}" y="${y + 18}" text-anchor="end"${name === 'overall' ? ' font-weight="bold"' : ''}>${escape(name)}</text>`);
    failures.forEach(([, , , rateKey], column) => {
      const value = figures[rateKey] as number | null;
      const x = left + column * cell.width;
      // White at 0, red at 1; grey when there was nothing to count.
      const fill = value === null ? '#eeeeee' : `rgb(255,${Math.round(255 - 200 * value)},${Math.round(255 - 200 * value)})`;
      parts.push(
        `<rect x="${x + 1}" y="${y + 1}" width="${cell.width - 2}" height="${cell.height - 2}" fill="${fill}" stroke="#cccccc"/>`,
        `<text x="${x + cell.width / 2}" y="${y + 18}" text-anchor="middle">${escape(percent(value))}</text>`,
      );
    });
  });
  parts.push(`<text x="10" y="${height - 10}" fill="#555555">– : nothing to count</text>`, '</svg>', '');
  return parts.join('\n');
}
