import type { Objective } from './curriculum.js';

/**
 * A topic's learning objectives as data, from the seed's single string: one objective for each line or
 * semicolon-separated part, list bullets dropped, numbered 1, 2, 3… in order.
 */
export function objectivesFromText(text: string): Objective[] {
  return text
    .split(/\r?\n|;/)
    .map((part) => part.replace(/^\s*(?:[-*•]|\d+[.)])\s+/, '').trim())
    .filter(Boolean)
    .map((part, index) => ({ id: String(index + 1), text: part }));
}
