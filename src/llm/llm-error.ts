/**
 * What an LLM error is known by in the logs and metrics: its kind, its HTTP status and whether the SDK deemed it
 * worth a retry. Not its message: a provider's error message, and the SDK's own (a reply that did not match its
 * schema quotes the reply), can carry the prompt or the learner's words, which stay out of logs.
 */
export interface ErrorFacts {
  name: string;
  statusCode?: number;
  isRetryable?: boolean;
  /** The network error's code (ECONNREFUSED, ETIMEDOUT, ...) when the call failed below HTTP. */
  causeCode?: string;
}

export function errorFacts(error: Error): ErrorFacts {
  const { statusCode, isRetryable } = error as { statusCode?: number; isRetryable?: boolean };
  const causeCode = networkCode(error.cause);
  return { name: error.name, statusCode, isRetryable, causeCode };
}

function networkCode(cause: unknown, depth = 0): string | undefined {
  if (!(cause instanceof Error) || depth > 3) return undefined;
  const code = (cause as { code?: unknown }).code;
  return typeof code === 'string' ? code : networkCode(cause.cause, depth + 1);
}
