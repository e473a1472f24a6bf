import type { Judgment } from './judge-rubric.js';
import type { PersonaName, Utterance } from './personas.js';

/** The service's reading of a turn: the opening, how it took the learner's message, or its safety step's fixed reply. */
export type TurnKind = 'opening' | 'answer' | 'hint' | 'question' | 'safety';
export const turnKinds: readonly TurnKind[] = ['opening', 'answer', 'hint', 'question', 'safety'];

/** What happened in one turn, as the harness saw it. */
export interface TurnRecord {
  kind: TurnKind;
  /** The persona's message; none for the opening. */
  utterance?: Utterance;
  /** The service's grade of the message, when it graded it. */
  graded?: boolean;
  reply: string;
  /** Whether the reply revealed the answer of a question pending after it (still, or just asked); undefined when none was. */
  leaked?: boolean;
  /** Whether the completion marker reached the learner in the reply. */
  markerShown: boolean;
  /** Whether this turn completed the topic. */
  completed: boolean;
  modelCalls: number;
  /** Time spent in model calls (from the service's /metrics); null when they cannot be read. */
  modelMs: number | null;
  /** Wall-clock time from sending the message to the saved reply. */
  latencyMs: number;
  /** The judge's scores of the reply, when a judge scored it. */
  judgment?: Judgment;
  /** Set when the judge was asked and failed. */
  judgeFailed?: boolean;
}

export interface SessionRecord {
  persona: PersonaName;
  topicId: number;
  courseId: number;
  run: number;
  sessionId: number;
  turns: TurnRecord[];
  completed: boolean;
  /** Questions the service recorded in the session. */
  questionsAsked: number;
  /** Tokens of the session's model calls, as the service recorded them. */
  tokens: number;
  /** Their cost in USD; null when a model has no price. */
  costUsd: number | null;
}

/** How the run was made: the service, its pass rule and what the harness was asked to do. */
export interface RunInfo {
  service: { url: string; embedded: boolean; provider: string; model: string | null; graderModel: string | null };
  rule: { passCorrect: number; questionCount: number };
  marker: string;
  topics: number[];
  personas: PersonaName[];
  runs: number;
  maxTurns: number;
  judge: { provider: string; model: string } | null;
}
