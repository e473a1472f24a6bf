import { DrizzleQueryError } from 'drizzle-orm';
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isDatabaseUnavailable } from '../db/database-errors.js';
import { AppError, errorStatus, type ErrorCode } from '../errors.js';

const titles: Record<ErrorCode, string> = {
  invalid_json: 'Malformed JSON body',
  bad_request: 'Bad request',
  unauthorized: 'Authentication required',
  forbidden: 'Forbidden',
  request_timeout: 'Request not received in time',
  not_found: 'Not found',
  session_not_found: 'Session not found',
  topic_not_found: 'Topic not found',
  course_not_found: 'Course not found',
  learner_not_found: 'Learner not found',
  flag_not_found: 'Flag not found',
  session_not_active: 'Session is not active',
  turn_conflict: 'Concurrent message',
  turn_in_progress: 'A turn is in progress',
  request_in_progress: 'The same request is in progress',
  session_too_long: 'Session is full',
  payload_too_large: 'Request body too large',
  uri_too_long: 'URI too long',
  unsupported_media_type: 'Unsupported media type',
  validation_failed: 'Invalid request',
  idempotency_key_reused: 'Idempotency key reused for another request',
  budget_exceeded: 'Token budget used up',
  rate_limited: 'Too many requests',
  headers_too_large: 'Request headers too large',
  internal_error: 'Internal server error',
  not_supported_by_curriculum: 'Not offered by this curriculum source',
  dependency_unavailable: 'Service temporarily unavailable',
  overloaded: 'Too many turns in progress',
  reply_interrupted: 'The reply was interrupted',
};

export const problemSchema = z
  .object({
    type: z.string().describe('A URI naming the kind of problem: urn:problem:ai-training:{code}'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(Object.keys(errorStatus) as [ErrorCode, ...ErrorCode[]]).describe('Stable, machine-readable error code'),
    errors: z
      .array(z.object({ location: z.string(), path: z.string(), message: z.string() }))
      .optional()
      .describe('Each invalid field, for validation_failed'),
    stack: z.string().optional().describe('Only when DEBUG=true'),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details, the body of every error response' });

export type Problem = z.infer<typeof problemSchema>;
type FieldError = NonNullable<Problem['errors']>[number];

/** The error responses a route declares: every route can answer 422 (invalid input) and 500, plus the listed ones. */
export function problemResponses(...codes: ErrorCode[]): Record<number, typeof problemSchema> {
  const statuses = new Set<number>([422, 500, ...codes.map((code) => errorStatus[code])]);
  return Object.fromEntries([...statuses].map((status) => [status, problemSchema]));
}

export function problem(code: ErrorCode, detail: string, extra: Partial<Problem> = {}): Problem {
  return { type: `urn:problem:ai-training:${code}`, title: titles[code], status: errorStatus[code], detail, code, ...extra };
}

export function sendProblem(reply: FastifyReply, code: ErrorCode, detail: string, extra: Partial<Problem> = {}) {
  return reply.code(errorStatus[code]).type('application/problem+json').send(problem(code, detail, extra));
}

/**
 * The problem for an error raised while serving a request, for the error handler and for an event stream
 * whose status line is already sent. Unexpected errors are logged and reveal nothing (unless DEBUG).
 */
export function serverProblem(error: Error, log: FastifyBaseLogger, debug: boolean): Problem {
  const expected = asAppError(error);
  if (expected) {
    if (expected.status >= 500) log.warn({ code: expected.code, cause: expected === error ? undefined : rootCause(error).logged.err }, expected.detail);
    return problem(expected.code, expected.detail);
  }
  const cause = rootCause(error);
  log.error({ ...cause.logged, serialization: isResponseSerializationError(error) || undefined }, 'request failed');
  return problem(
    'internal_error',
    debug ? cause.err.message : 'The request could not be completed. It has been logged.',
    debug && cause.err.stack ? { stack: cause.err.stack } : {},
  );
}

/** One error handler for the whole app: every failure leaves as problem details, and no 5xx reveals internals. */
export function registerErrorHandling(app: FastifyInstance, options: { debug: boolean }): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const retryAfter = asAppError(error)?.options.retryAfterSeconds;
    if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
    if (hasZodFastifySchemaValidationErrors(error)) {
      const location = error.validationContext ?? 'request';
      const errors: FieldError[] = error.validation.map((issue) => ({
        location,
        path: issue.instancePath.replace(/^\//, '').replaceAll('/', '.'),
        message: issue.message ?? 'is invalid',
      }));
      const summary = errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)).join('; ');
      return sendProblem(reply, 'validation_failed', `Invalid ${location}: ${summary}`, { errors });
    }
    const clientCode = clientErrorCode(error);
    if (clientCode) return sendProblem(reply, clientCode, error.message);
    const body = serverProblem(error, request.log, options.debug);
    return reply.code(body.status).type('application/problem+json').send(body);
  });
}

/** The answer to a request no route takes. */
export function answerNotFound(request: FastifyRequest, reply: FastifyReply) {
  return sendProblem(reply, 'not_found', `No route for ${request.method} ${request.url.split('?')[0]}.`);
}

/** How long a client should wait before retrying a request the database could not serve. */
const databaseRetryAfterSeconds = 5;

/**
 * The answer to an error the service expects: its own errors, and a database that cannot be reached or answer in
 * time (a 503 the client may retry, never a 500: the request was fine, and a turn is saved whole or not at all).
 */
function asAppError(error: Error): AppError | undefined {
  if (error instanceof AppError) return error;
  if (isDatabaseUnavailable(error)) {
    return new AppError('dependency_unavailable', "The service's database is unavailable right now; please try again shortly.", {
      retryAfterSeconds: databaseRetryAfterSeconds,
    });
  }
  return undefined;
}

/**
 * What to log of a failure: the root error and, for a query, its SQL, but never the query's parameters.
 * Those are learner text, which stays out of logs; drizzle's wrapper and PGlite's error both carry them.
 */
function rootCause(error: Error): { err: Error; logged: Record<string, unknown> } {
  const err = error instanceof DrizzleQueryError && error.cause ? error.cause : error;
  const code = (err as { code?: unknown }).code;
  return {
    err,
    logged: {
      err: { type: err.name, message: err.message, code, stack: err.stack },
      query: error instanceof DrizzleQueryError ? error.query : undefined,
    },
  };
}

/** Errors Fastify raises for a bad request before any handler runs (body parsing, size, media type). */
function clientErrorCode(error: FastifyError): ErrorCode | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'invalid_json';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'payload_too_large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported_media_type';
  }
  if (error instanceof SyntaxError && error.statusCode === 400) return 'invalid_json';
  // Other 4xx errors raised by plugins (the static files under /docs): their status, as a problem.
  const byStatus: Record<number, ErrorCode> = { 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 413: 'payload_too_large', 415: 'unsupported_media_type' };
  if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) return byStatus[error.statusCode] ?? 'bad_request';
  return undefined;
}
