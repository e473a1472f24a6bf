import type { z } from 'zod';

// The port to a language model: neutral requests (system text, messages, functions, an output schema) in, events
// out. It knows nothing of tutoring: prompts, notes and question policy are the tutoring domain's.

export interface TokenUsage {
  promptTokens: number;
  outputTokens: number;
  /** Prompt tokens served from the provider's cache (Gemini's implicit caching), included in promptTokens. */
  cachedTokens: number;
}

/** A function the model may call. It is declared, never executed: a call comes back as an event. */
export interface FunctionDeclaration {
  name: string;
  description: string;
  parameters: z.ZodType;
}

/** A call the model made, replayed in a later request with the result the caller gave it. */
export interface PastCall {
  name: string;
  input: unknown;
  result: unknown;
}

export type ChatMessage = { role: 'user'; text: string } | { role: 'assistant'; text: string; calls?: PastCall[] };

export interface TextRequest {
  /** The model's id, as the provider names it. */
  model: string;
  system: string;
  /** The conversation, oldest first; it starts and ends with the user. */
  messages: ChatMessage[];
  functions?: FunctionDeclaration[];
  /** Whether the caller reads the text as it arrives; otherwise the reply may come in one piece. */
  stream?: boolean;
}

/**
 * A reply's events: its text (in pieces, when streamed), the function calls it made (`error` set for a call the
 * model got wrong: an unknown function, input that does not match its parameters), then `finish`, once.
 */
export type ModelEvent =
  | { type: 'text'; text: string }
  | { type: 'call'; name: string; input: unknown; error?: string }
  | { type: 'finish'; usage: TokenUsage; finishReason: string };

export interface ObjectRequest<T> {
  model: string;
  system: string;
  prompt: string;
  schema: z.ZodType<T>;
  temperature?: number;
}

export interface LanguageModel {
  /** The provider, as /api/health and the metrics name it. */
  readonly provider: 'gemini' | 'openai';
  /** One model call: a text reply, possibly with function calls. */
  generateText(request: TextRequest): AsyncIterable<ModelEvent>;
  /** One model call whose answer is a JSON object matching `schema`. */
  generateObject<T>(request: ObjectRequest<T>): Promise<{ object: T; usage: TokenUsage }>;
}
