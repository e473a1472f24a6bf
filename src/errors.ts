/**
 * The closed set of errors the service answers with. Each code has one HTTP status; the HTTP layer
 * turns an AppError into a problem-details body (src/http/errors.ts), and the OpenAPI document lists them.
 */
export const errorStatus = {
  invalid_json: 400,
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  request_timeout: 408,
  not_found: 404,
  session_not_found: 404,
  topic_not_found: 404,
  course_not_found: 404,
  learner_not_found: 404,
  flag_not_found: 404,
  session_not_active: 409,
  turn_conflict: 409,
  turn_in_progress: 409,
  request_in_progress: 409,
  session_too_long: 409,
  payload_too_large: 413,
  uri_too_long: 414,
  unsupported_media_type: 415,
  validation_failed: 422,
  idempotency_key_reused: 422,
  rate_limited: 429,
  budget_exceeded: 429,
  headers_too_large: 431,
  internal_error: 500,
  not_supported_by_curriculum: 501,
  dependency_unavailable: 503,
  overloaded: 503,
  reply_interrupted: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    /** For 503s: when the client may try again, sent as Retry-After. */
    readonly options: { retryAfterSeconds?: number } = {},
  ) {
    super(detail);
    this.name = 'AppError';
  }

  get status(): number {
    return errorStatus[this.code];
  }
}
