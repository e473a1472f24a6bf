import type { Caller, Course, CourseSummary, SessionDetails, SessionList, SessionSummary, Started, Topic } from './types.js';

/** How the app signs in: as a learner with a token, with the service key for a learner, or (no auth) as a learner. */
export type Credentials =
  | { kind: 'token'; token: string; userId: number }
  | { kind: 'key'; key: string; userId: number }
  | { kind: 'open'; userId: number };

/** A problem the service answered with (RFC 9457), or a network failure (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(detail);
  }
}

export function authHeaders(credentials: Credentials): Record<string, string> {
  if (credentials.kind === 'token') return { authorization: `Bearer ${credentials.token}` };
  if (credentials.kind === 'key') return { 'x-api-key': credentials.key };
  return {};
}

/** The error of a response that is not a success. */
export async function problemOf(response: Response): Promise<ApiError> {
  const retryAfter = Number(response.headers.get('retry-after')) || undefined;
  try {
    const body = (await response.json()) as { code?: string; detail?: string };
    return new ApiError(response.status, body.code ?? 'unknown', body.detail ?? response.statusText, retryAfter);
  } catch {
    return new ApiError(response.status, 'unknown', response.statusText, retryAfter);
  }
}

export const networkError = () => new ApiError(0, 'network', 'The service cannot be reached.');

/** Sends a request to the API, with the credentials; the parsed JSON body, or an ApiError. */
export async function call<T>(credentials: Credentials, method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: { ...authHeaders(credentials), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw networkError();
  }
  if (!response.ok) throw await problemOf(response);
  return (await response.json()) as T;
}

/** The API calls the learner app makes, bound to its credentials. */
export function learnerApi(credentials: Credentials) {
  const get = <T>(path: string) => call<T>(credentials, 'GET', path);
  return {
    credentials,
    courses: () => get<{ courses: CourseSummary[] }>('/api/courses').then((body) => body.courses),
    course: (id: number) => get<Course>(`/api/courses/${id}`),
    topic: (id: number) => get<Topic>(`/api/topics/${id}`),
    sessions: (before?: number) =>
      get<SessionList>(`/api/sessions?user_id=${credentials.userId}&limit=10${before === undefined ? '' : `&before=${before}`}`),
    session: (id: number) => get<SessionDetails>(`/api/sessions/${id}`),
    start: (topic: { id: number; course_id: number }) =>
      call<Started>(credentials, 'POST', '/api/sessions/start', { user_id: credentials.userId, topic_id: topic.id, course_id: topic.course_id }),
    abandon: (id: number) => call<SessionSummary>(credentials, 'POST', `/api/sessions/${id}/abandon`),
  };
}

export type LearnerApi = ReturnType<typeof learnerApi>;

/** Who a token or key signs in (GET /api/me). */
export const whoAmI = (credentials: Credentials) => call<Caller>(credentials, 'GET', '/api/me');

/** What the learner reads for an error: what happened, and what to do, in plain words. */
export function plainWords(error: unknown): string {
  if (!(error instanceof ApiError)) return 'Something went wrong. Please try again.';
  const wait = error.retryAfterSeconds ? ` in ${error.retryAfterSeconds} second${error.retryAfterSeconds === 1 ? '' : 's'}` : ' in a moment';
  switch (error.code) {
    case 'network':
      return 'The tutor service cannot be reached. Check your connection and try again.';
    case 'turn_in_progress':
    case 'request_in_progress':
      return 'The tutor is still answering your previous message. Wait for its reply, then send again.';
    case 'rate_limited':
      return `You are sending messages faster than allowed. Try again${wait}.`;
    case 'dependency_unavailable':
    case 'overloaded':
    case 'reply_interrupted':
      return `The tutor is unavailable right now. Try again${wait}.`;
    case 'session_not_active':
      return 'This session has ended: it takes no more messages.';
    case 'session_too_long':
      return 'This session has reached its length limit. Start a new session on the topic to go on.';
    case 'unauthorized':
      return 'Your sign-in is not valid (or has expired). Sign in again.';
    case 'forbidden':
      return 'You are not allowed to do that.';
    case 'session_not_found':
      return 'This session does not exist, or is not yours.';
    case 'topic_not_found':
    case 'course_not_found':
      return 'That topic does not exist.';
    case 'validation_failed':
      return `That was not accepted: ${error.detail}`;
    default:
      return error.status >= 500 ? `The service had a problem. Try again${wait}.` : error.detail;
  }
}
