import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';
import type { Figures } from './metrics.js';
import { personaNames } from './personas.js';
import { dimensions, type Dimension } from './judge-rubric.js';

const limit = z
  .strictObject({ min: z.number().optional(), max: z.number().optional() })
  .refine((value) => value.min !== undefined || value.max !== undefined, { message: 'needs min or max' })
  .refine((value) => value.min === undefined || value.max === undefined || value.min <= value.max, { message: 'min must not exceed max' });
const limits = z.record(z.string().regex(/^[a-z_]+(\.[a-z_]+)*$/, 'must be a figure such as false_pass_rate or turn_kinds.answer.model_calls_per_turn'), limit);
const thresholdsSchema = z.strictObject({ overall: limits.optional(), personas: z.partialRecord(z.enum(personaNames), limits).optional() });

export type Thresholds = z.infer<typeof thresholdsSchema>;

/** A threshold file that cannot be used: its path and what is wrong. */
export class ThresholdsError extends Error {}

export async function loadThresholds(path: string): Promise<Thresholds> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ThresholdsError(`${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new ThresholdsError(`${path}: not YAML (${(error as Error).message.split('\n')[0]})`);
  }
  const parsed = thresholdsSchema.safeParse(document ?? {});
  if (!parsed.success) throw new ThresholdsError(`${path}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  return parsed.data;
}

/**
 * Refuses, before anything runs, a threshold on a figure the report does not have (`template`: the figures of an
 * empty run), or on the judge's when no judge is configured.
 */
export function validateThresholds(thresholds: Thresholds, template: Figures, judged: boolean): void {
  const figures = [...Object.keys(thresholds.overall ?? {}), ...Object.values(thresholds.personas ?? {}).flatMap((limits) => Object.keys(limits ?? {}))];
  for (const figure of figures) {
    if (figure.startsWith('judge.')) {
      if (!/^judge\.(replies|failed|rates\.\w+)$/.test(figure) || (figure.startsWith('judge.rates.') && !dimensions.includes(figure.slice(12) as Dimension))) {
        throw new ThresholdsError(`thresholds: ${figure} is not a figure of the report`);
      }
      if (!judged) throw new ThresholdsError(`thresholds: ${figure} needs a judge (EVAL_JUDGE_MODEL)`);
    } else if (typeof valueAt(template, figure) !== 'number' && valueAt(template, figure) !== null) {
      throw new ThresholdsError(`thresholds: ${figure} is not a figure of the report`);
    }
  }
}

function valueAt(figures: Figures, path: string): unknown {
  return path.split('.').reduce<unknown>((at, key) => (at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined), figures);
}

export interface ThresholdCheck {
  /** "overall" or a persona's name. */
  scope: string;
  figure: string;
  value: number | null;
  min?: number;
  max?: number;
  /** Crossed: below its min or above its max. A figure with nothing to count (null) crosses nothing. */
  crossed: boolean;
}

/** Every threshold checked against the figures; throws for a figure or persona the figures do not have. */
export function checkThresholds(thresholds: Thresholds, results: { overall: Figures; personas: Record<string, Figures> }): ThresholdCheck[] {
  const scopes: [string, Record<string, { min?: number; max?: number }>, Figures | undefined][] = [
    ['overall', thresholds.overall ?? {}, results.overall],
    ...Object.entries(thresholds.personas ?? {}).map(([persona, figures]): [string, typeof figures, Figures | undefined] => [persona, figures, results.personas[persona]]),
  ];
  return scopes.flatMap(([scope, figures, values]) =>
    Object.entries(figures).flatMap(([figure, { min, max }]) => {
      // A persona that was not run has nothing to check.
      if (!values) return [];
      // The judge's figures are null, not absent, when it scored nothing.
      const value = valueAt(values, figure) ?? (figure.startsWith('judge.') ? null : undefined);
      if (value !== null && typeof value !== 'number') throw new ThresholdsError(`thresholds: ${scope}.${figure} is not a figure of the report`);
      const crossed = value !== null && ((min !== undefined && value < min) || (max !== undefined && value > max));
      return [{ scope, figure, value, min, max, crossed }];
    }),
  );
}
