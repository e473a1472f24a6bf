import { useEffect, useState } from 'preact/hooks';
import { oversightApi, type OversightApi } from '../../../src/client/api.js';
import { ApiError } from '../../../src/client/http.js';
import { plainWords } from '../../../src/client/plain-words.js';
import type { CourseSummary, OverseenSession, SafetyFlag, TopicFigures } from '../../../src/client/types.js';
import type { SignedIn } from '../app.js';
import { ViewHeading } from '../learner/heading.js';

interface Props {
  signedIn: SignedIn;
  onSignedOut: () => void;
}

const percent = (share: number) => `${Math.round(share * 100)} %`;
const orDash = (value: number | null, digits = 0) => (value === null ? '–' : value.toFixed(digits));
export const categoryWords = { self_harm: 'Self-harm', violence: 'Violence', sexual: 'Sexual content', harassment: 'Harassment' };

/** A teacher's view of a course: how each topic goes, the safety flags to review, and the latest sessions. */
export function TeachHome({ signedIn, onSignedOut }: Props) {
  const api = oversightApi(signedIn.credentials);
  const [courses, setCourses] = useState<CourseSummary[]>();
  const [courseId, setCourseId] = useState<number>();
  const [error, setError] = useState<string>();
  const fail = (failure: unknown) => {
    if (failure instanceof ApiError && failure.code === 'unauthorized') onSignedOut();
    else setError(plainWords(failure));
  };

  useEffect(() => {
    api.courses().then((listed) => {
      // A teacher sees the courses they teach; an admin, every course.
      const { caller } = signedIn;
      const mine = caller.role === 'teacher' ? listed.filter((course) => caller.course_ids.includes(course.id)) : listed;
      setCourses(mine);
      setCourseId(mine[0]?.id);
    }, fail);
  }, []);

  return (
    <>
      <ViewHeading title="Teaching" />
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {courses && courses.length === 0 && <p>No course of yours is in the catalog.</p>}
      {courses && courses.length > 1 && (
        <div class="field narrow-field">
          <label for="teach-course">Course</label>
          <select id="teach-course" value={courseId} onChange={(e) => setCourseId(Number(e.currentTarget.value))}>
            {courses.map((course) => (
              <option key={course.id} value={course.id}>
                {course.title}
              </option>
            ))}
          </select>
        </div>
      )}
      {courseId !== undefined && (
        <div class="teach" key={courseId}>
          <Topics api={api} courseId={courseId} onError={fail} />
          <Flags api={api} courseId={courseId} onError={fail} />
          <RecentSessions api={api} courseId={courseId} onError={fail} />
        </div>
      )}
    </>
  );
}

function Topics({ api, courseId, onError }: { api: OversightApi; courseId: number; onError: (failure: unknown) => void }) {
  const [topics, setTopics] = useState<TopicFigures[]>();
  useEffect(() => void api.topicAnalytics(courseId).then(setTopics, onError), [courseId]);
  return (
    <section class="card" aria-labelledby="topics-heading">
      <h2 id="topics-heading">Topics</h2>
      {!topics && <p>Loading the topics…</p>}
      {topics?.length === 0 && <p>No session on this course yet.</p>}
      {topics && topics.length > 0 && (
        <div class="table-scroll">
          <table>
            <caption class="visually-hidden">How each topic goes: sessions, completion, pace, hints, and the question most often missed</caption>
            <thead>
              <tr>
                <th scope="col">Topic</th>
                <th scope="col">Sessions</th>
                <th scope="col">Completed</th>
                <th scope="col">Abandoned</th>
                <th scope="col">Median turns to complete</th>
                <th scope="col">Median minutes</th>
                <th scope="col">Hints</th>
                <th scope="col">Most missed question</th>
              </tr>
            </thead>
            <tbody>
              {topics.map((topic) => {
                const missed = topic.most_missed_questions[0];
                return (
                  <tr key={topic.topic_id}>
                    <th scope="row">{topic.topic_title}</th>
                    <td>{topic.sessions_started}</td>
                    <td>
                      {topic.sessions_completed} ({percent(topic.completion_rate)})
                    </td>
                    <td>
                      {topic.sessions_abandoned} ({percent(topic.abandonment_rate)})
                    </td>
                    <td>{orDash(topic.median_turns_to_completion)}</td>
                    <td>{orDash(topic.median_minutes_to_completion, 1)}</td>
                    <td>{topic.hint_requests}</td>
                    <td>{missed ? `${missed.question} (${missed.wrong_answers} of ${missed.graded_answers} wrong)` : '–'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function Flags({ api, courseId, onError }: { api: OversightApi; courseId: number; onError: (failure: unknown) => void }) {
  const [flags, setFlags] = useState<SafetyFlag[]>();
  const [notice, setNotice] = useState<string>();
  useEffect(() => void api.openFlags(courseId).then(setFlags, onError), [courseId]);
  const resolve = async (flag: SafetyFlag) => {
    try {
      await api.resolveFlag(flag.id);
      setFlags((shown) => shown?.filter((candidate) => candidate.id !== flag.id));
      setNotice(`The flag on learner ${flag.user_id}'s message is resolved.`);
    } catch (failure) {
      onError(failure);
    }
  };
  return (
    <section class="card" aria-labelledby="flags-heading">
      <h2 id="flags-heading">Safety flags to review</h2>
      <p role="status" class="notice">
        {notice}
      </p>
      {!flags && <p>Loading the flags…</p>}
      {flags?.length === 0 && <p>None open.</p>}
      {flags && flags.length > 0 && (
        <ul class="flags">
          {flags.map((flag) => (
            <li key={flag.id} class={`flag severity-${flag.severity}`}>
              <div>
                <strong>{categoryWords[flag.category]}</strong> <span class="badge">{flag.severity}</span>
                <span class="muted">
                  {' '}
                  Learner {flag.user_id} · {new Date(flag.created_at).toLocaleString()} · found by {flag.source === 'rules' ? 'the rules' : 'the moderation service'}
                </span>
              </div>
              <div class="actions">
                <a class="button" href={`#/teach/sessions/${flag.session_id}`}>
                  Read the session<span class="visually-hidden"> of learner {flag.user_id}</span>
                </a>
                <button type="button" onClick={() => void resolve(flag)}>
                  Resolve<span class="visually-hidden"> the {categoryWords[flag.category].toLowerCase()} flag of learner {flag.user_id}</span>
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

const statusWords = { active: 'In progress', completed: 'Completed', abandoned: 'Ended' };

function RecentSessions({ api, courseId, onError }: { api: OversightApi; courseId: number; onError: (failure: unknown) => void }) {
  const [sessions, setSessions] = useState<OverseenSession[]>();
  const [nextBefore, setNextBefore] = useState<number | null>(null);
  const [loading, setLoading] = useState(false);
  const load = async (before?: number) => {
    setLoading(true);
    try {
      const page = await api.sessions(courseId, before);
      setSessions((shown) => (before === undefined ? page.items : [...(shown ?? []), ...page.items]));
      setNextBefore(page.next_before);
    } catch (failure) {
      onError(failure);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => void load(), [courseId]);
  return (
    <section class="card" aria-labelledby="recent-heading">
      <h2 id="recent-heading">Latest sessions</h2>
      {!sessions && <p>Loading the sessions…</p>}
      {sessions?.length === 0 && <p>None yet.</p>}
      {sessions && sessions.length > 0 && (
        <ul class="sessions">
          {sessions.map((session) => (
            <li key={session.id} class="session">
              <div>
                <strong>{session.topic_title}</strong> <span class="muted">Learner {session.user_id}</span>
                <span class={`status status-${session.status}`}>{statusWords[session.status]}</span>
                <span class="muted">
                  {session.turns} learner message{session.turns === 1 ? '' : 's'} · last {new Date(session.last_activity_at).toLocaleString()}
                  {session.open_flags > 0 && ` · ${session.open_flags} open flag${session.open_flags === 1 ? '' : 's'}`}
                </span>
              </div>
              <div class="actions">
                <a class="button" href={`#/teach/sessions/${session.id}`} aria-label={`Read session ${session.id}, ${session.topic_title}, learner ${session.user_id}`}>
                  Read
                </a>
              </div>
            </li>
          ))}
        </ul>
      )}
      {nextBefore !== null && (
        <button type="button" disabled={loading} onClick={() => void load(nextBefore)}>
          Show older sessions
        </button>
      )}
    </section>
  );
}
