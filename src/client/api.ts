// The service's API as its own clients (the web app, the terminal chat) call it: with fetch, in a browser or in
// Node.js, so that both handle its answers, its streams and its errors alike.
import { defaultPatience, deliverTurn, type Patience, type PendingTurn } from './deliver-turn.js';
import { authHeaders, networkError, problemOf, type Credentials } from './http.js';
import type {
  Caller,
  Course,
  CourseSummary,
  OverseenSession,
  Page,
  SafetyFlag,
  SessionDetails,
  SessionList,
  SessionSummary,
  Started,
  Topic,
  TopicFigures,
  Transcript,
  Turn,
} from './types.js';

/** Sends a request to the API, with the credentials; the parsed JSON body, or an ApiError. */
async function call<T>(credentials: Credentials, method: string, url: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, {
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

/**
 * The API calls a learner's client makes, bound to its credentials; `baseUrl` is the service's root (empty for the
 * page's own origin).
 */
export function learnerApi(credentials: Credentials, baseUrl = '', patience: Patience = defaultPatience) {
  const get = <T>(path: string) => call<T>(credentials, 'GET', `${baseUrl}${path}`);
  const post = <T>(path: string, body?: unknown) => call<T>(credentials, 'POST', `${baseUrl}${path}`, body);
  return {
    credentials,
    /** Who the credentials identify; a token's learner. */
    me: () => get<Caller>('/api/me'),
    courses: () => get<{ courses: CourseSummary[] }>('/api/courses').then((body) => body.courses),
    course: (id: number) => get<Course>(`/api/courses/${id}`),
    topic: (id: number) => get<Topic>(`/api/topics/${id}`),
    sessions: (before?: number) =>
      get<SessionList>(`/api/sessions?user_id=${credentials.userId}&limit=10${before === undefined ? '' : `&before=${before}`}`),
    session: (id: number) => get<SessionDetails>(`/api/sessions/${id}`),
    start: (topic: { id: number; course_id: number }) =>
      post<Started>('/api/sessions/start', { user_id: credentials.userId, topic_id: topic.id, course_id: topic.course_id }),
    abandon: (id: number) => post<SessionSummary>(`/api/sessions/${id}/abandon`),
    /** Sends a message and streams its reply to `show` until the turn is saved (deliver-turn.ts). */
    deliver: (pending: PendingTurn, show: (text: string) => void): Promise<Turn> => deliverTurn(credentials, baseUrl, pending, show, patience),
  };
}

export type LearnerApi = ReturnType<typeof learnerApi>;

/** The oversight calls a teacher's or admin's client makes (/api/admin/...), bound to its credentials. */
export function oversightApi(credentials: Credentials, baseUrl = '') {
  const get = <T>(path: string) => call<T>(credentials, 'GET', `${baseUrl}${path}`);
  return {
    courses: () => get<{ courses: CourseSummary[] }>('/api/courses').then((body) => body.courses),
    topicAnalytics: (courseId: number) => get<{ items: TopicFigures[] }>(`/api/admin/analytics/topics?course_id=${courseId}`).then((body) => body.items),
    sessions: (courseId: number, before?: number) =>
      get<Page<OverseenSession>>(`/api/admin/sessions?course_id=${courseId}&limit=20${before === undefined ? '' : `&before=${before}`}`),
    openFlags: (courseId: number) => get<Page<SafetyFlag>>(`/api/admin/flags?status=open&course_id=${courseId}&limit=100`).then((body) => body.items),
    resolveFlag: (id: number) => call<SafetyFlag>(credentials, 'POST', `${baseUrl}/api/admin/flags/${id}/resolve`),
    transcript: (sessionId: number) => get<Transcript>(`/api/admin/sessions/${sessionId}`),
  };
}

export type OversightApi = ReturnType<typeof oversightApi>;

