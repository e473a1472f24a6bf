/**
 * What an LLM error is known by: what the service logs and counts of it, no more. The SDK's errors also carry the
 * whole request (the prompt, the learner's words), which stays out of logs and does not leave the LLM thread.
 */
export interface ErrorFacts {
  name: string;
  message: string;
  statusCode?: number;
  isRetryable?: boolean;
  cause?: string;
}

export function errorFacts(error: Error): ErrorFacts {
  const { statusCode, isRetryable } = error as { statusCode?: number; isRetryable?: boolean };
  return { name: error.name, message: error.message, statusCode, isRetryable, cause: error.cause instanceof Error ? error.cause.message : undefined };
}
