import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';
import type { Figures } from './metrics.js';
import { personaNames } from './personas.js';

const limit = z.strictObject({ min: z.number().optional(), max: z.number().optional() }).refine((value) => value.min !== undefined || value.max !== undefined, {
  message: 'needs min or max',
});
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
      const value = figure.split('.').reduce<unknown>((at, key) => (at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined), values);
      if (value !== null && typeof value !== 'number') throw new ThresholdsError(`thresholds: ${scope}.${figure} is not a figure of the report`);
      const crossed = value !== null && ((min !== undefined && value < min) || (max !== undefined && value > max));
      return [{ scope, figure, value, min, max, crossed }];
    }),
  );
}
