import type { LlmConfig, Config } from '../config.js';
import type { Grade, GradeRequest, TutorEvent, TutorRequest } from './llm.js';
import type { ErrorFacts } from './llm-error.js';

/** The model providers that call a model, and so run on the LLM thread. */
export type ModelLlmConfig = Extract<LlmConfig, { provider: 'gemini' | 'openai' }>;

export interface ThreadData {
  llm: ModelLlmConfig;
  logLevel: Config['logLevel'];
}

/** The service's thread asks: a reply (its events) or a grade. */
export type ThreadCall = { id: number; type: 'respond'; request: TutorRequest } | { id: number; type: 'grade'; request: GradeRequest };

/**
 * The LLM thread answers: a reply's events, in batches (one for a reply nobody streams, one per event for a streamed
 * one), the last batch marked `end`; a grade; an error; or a log line written while it worked on call `id`.
 */
export type ThreadAnswer =
  | { id: number; type: 'events'; events: TutorEvent[]; end: boolean }
  | { id: number; type: 'grade'; grade: Grade }
  | { id: number; type: 'error'; error: ErrorFacts }
  | { id?: number; type: 'log'; line: string };
