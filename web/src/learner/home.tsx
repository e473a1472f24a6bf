import { useEffect, useRef, useState } from 'preact/hooks';
import { learnerApi, type LearnerApi } from '../../../src/client/api.js';
import { ApiError, type Credentials } from '../../../src/client/http.js';
import { plainWords } from '../../../src/client/plain-words.js';
import type { Course, CourseSummary, SessionSummary, Topic } from '../../../src/client/types.js';
import { ViewHeading } from './heading.js';

interface Props {
  credentials: Credentials;
  onSignedOut: () => void;
}

/** The learner's start page: a course and a topic to start on, and their sessions to resume or end. */
export function Home({ credentials, onSignedOut }: Props) {
  const api = learnerApi(credentials);
  const [error, setError] = useState<string>();
  const [starting, setStarting] = useState(false);
  // Set at once, unlike state: a double click starts one session, not two.
  const startingNow = useRef(false);
  const sessions = useSessions(api, (failure) => fail(failure));
  const fail = (failure: unknown) => {
    if (failure instanceof ApiError && failure.code === 'unauthorized') onSignedOut();
    else setError(plainWords(failure));
  };
  const start = async (topic: { id: number; course_id: number }) => {
    if (startingNow.current) return;
    startingNow.current = true;
    setStarting(true);
    setError(undefined);
    try {
      const started = await api.start(topic);
      location.hash = `#/sessions/${started.id}`;
    } catch (failure) {
      fail(failure);
    } finally {
      startingNow.current = false;
      setStarting(false);
    }
  };

  return (
    <>
      <ViewHeading title="Your learning" />
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <div class="columns">
        <Catalog api={api} onStart={start} starting={starting} sessions={sessions.shown ?? []} onError={fail} />
        <Sessions api={api} sessions={sessions} onError={fail} />
      </div>
    </>
  );
}

interface CatalogProps {
  api: LearnerApi;
  onStart: (topic: Topic) => void;
  /** A session is being started: the buttons wait. */
  starting: boolean;
  /** The learner's sessions listed so far, to show where they stand on each topic. */
  sessions: SessionSummary[];
  onError: (failure: unknown) => void;
}

function Catalog({ api, onStart, starting, sessions, onError }: CatalogProps) {
  const [courses, setCourses] = useState<CourseSummary[] | 'unlisted'>();
  const [course, setCourse] = useState<Course>();

  useEffect(() => {
    api
      .courses()
      .then((loaded) => {
        setCourses(loaded);
        if (loaded[0]) void api.course(loaded[0].id).then(setCourse, onError);
      })
      .catch((failure: unknown) => (failure instanceof ApiError && failure.code === 'not_supported_by_curriculum' ? setCourses('unlisted') : onError(failure)));
  }, []);

  if (courses === 'unlisted') return <TopicById api={api} onStart={onStart} onError={onError} />;
  return (
    <section class="card" aria-labelledby="catalog-heading">
      <h2 id="catalog-heading">Start a topic</h2>
      {!courses && <p>Loading the courses…</p>}
      {courses && courses.length > 1 && (
        <div class="field">
          <label for="course">Course</label>
          <select id="course" value={course?.id} onChange={(e) => void api.course(Number(e.currentTarget.value)).then(setCourse, onError)}>
            {courses.map((summary) => (
              <option value={summary.id} key={summary.id}>
                {summary.title}
              </option>
            ))}
          </select>
        </div>
      )}
      {course && (
        <>
          <h3>{course.title}</h3>
          {course.description && <p class="muted">{course.description}</p>}
          <ol class="topics">
            {course.topics.map((topic) => (
              <li key={topic.id} class="topic">
                <h4>{topic.title}</h4>
                <p>{topic.description}</p>
                <p class="muted">
                  You will learn: {topic.learning_objectives}
                  {topic.question_count > 0 && ` · ${topic.question_count} questions`}
                </p>
                <TopicAction topic={topic} sessions={sessions} starting={starting} onStart={onStart} />
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}

/** Resume the topic's session in progress, or start one (again, once completed). */
function TopicAction({ topic, sessions, starting, onStart }: { topic: Topic; sessions: SessionSummary[]; starting: boolean; onStart: (topic: Topic) => void }) {
  const active = sessions.find((session) => session.topic_id === topic.id && session.status === 'active');
  const completed = sessions.some((session) => session.topic_id === topic.id && session.status === 'completed');
  if (active) {
    return (
      <p class="topic-status">
        <span class="status status-active">In progress</span>{' '}
        <a class="button primary" href={`#/sessions/${active.id}`} aria-label={`Resume ${topic.title}`}>
          Resume
        </a>
      </p>
    );
  }
  return (
    <p class="topic-status">
      {completed && <span class="status status-completed">Completed</span>}{' '}
      <button type="button" class="primary" disabled={starting} aria-label={`${completed ? 'Start again' : 'Start'} ${topic.title}`} onClick={() => onStart(topic)}>
        {completed ? 'Start again' : 'Start'}
      </button>
    </p>
  );
}

/** For a curriculum that lists no courses (the .NET backend's): start by the topic's id. */
function TopicById({ api, onStart, onError }: { api: LearnerApi; onStart: (topic: Topic) => void; onError: (failure: unknown) => void }) {
  const [topicId, setTopicId] = useState('');
  const submit = async (event: Event) => {
    event.preventDefault();
    try {
      onStart(await api.topic(Number(topicId)));
    } catch (failure) {
      onError(failure);
    }
  };
  return (
    <section class="card" aria-labelledby="catalog-heading">
      <h2 id="catalog-heading">Start a topic</h2>
      <p>The training platform lists the courses. Enter the id of the topic to learn.</p>
      <form onSubmit={submit}>
        <div class="field">
          <label for="topic-id">Topic id</label>
          <input id="topic-id" type="number" min={1} required value={topicId} onInput={(e) => setTopicId(e.currentTarget.value)} />
        </div>
        <button type="submit" class="primary">
          Start
        </button>
      </form>
    </section>
  );
}

const statusWords = { active: 'In progress', completed: 'Completed', abandoned: 'Ended' };

/** The learner's sessions, a page at a time, with their topics' titles. */
function useSessions(api: LearnerApi, onError: (failure: unknown) => void) {
  const [shown, setShown] = useState<SessionSummary[]>();
  const [nextBefore, setNextBefore] = useState<number | null>(null);
  const [titles, setTitles] = useState<Record<number, string>>({});
  const [loading, setLoading] = useState(false);

  const load = async (before?: number) => {
    setLoading(true);
    try {
      const page = await api.sessions(before);
      setShown((listed) => (before === undefined ? page.sessions : [...(listed ?? []), ...page.sessions]));
      setNextBefore(page.next_before);
      // Each topic's title, once: a session names its topic by id.
      const unknown = [...new Set(page.sessions.map((session) => session.topic_id))].filter((id) => !(id in titles));
      const found = await Promise.all(unknown.map((id) => api.topic(id).then((topic) => [id, topic.title] as const, () => [id, `Topic ${id}`] as const)));
      setTitles((known) => ({ ...known, ...Object.fromEntries(found) }));
    } catch (failure) {
      onError(failure);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => void load(), []);
  const replace = (ended: SessionSummary) => setShown((listed) => listed?.map((candidate) => (candidate.id === ended.id ? ended : candidate)));
  return { shown, nextBefore, titles, loading, load, replace };
}

function Sessions({ api, sessions: listed, onError }: { api: LearnerApi; sessions: ReturnType<typeof useSessions>; onError: (failure: unknown) => void }) {
  const { shown: sessions, nextBefore, titles, loading, load, replace } = listed;
  const [notice, setNotice] = useState<string>();

  const abandon = async (session: SessionSummary) => {
    const title = titles[session.topic_id] ?? `Topic ${session.topic_id}`;
    if (!confirm(`End your session on “${title}”? You can start the topic again later.`)) return;
    try {
      replace(await api.abandon(session.id));
      setNotice(`Your session on “${title}” has ended.`);
    } catch (failure) {
      onError(failure);
    }
  };

  return (
    <section class="card" aria-labelledby="sessions-heading">
      <h2 id="sessions-heading">Your sessions</h2>
      <p role="status" class="notice">
        {notice}
      </p>
      {!sessions && <p>Loading your sessions…</p>}
      {sessions?.length === 0 && <p>None yet: start a topic.</p>}
      {sessions && sessions.length > 0 && (
        <ul class="sessions">
          {sessions.map((session) => {
            const title = titles[session.topic_id] ?? `Topic ${session.topic_id}`;
            return (
              <li key={session.id} class="session">
                <div>
                  <strong>{title}</strong>
                  <span class={`status status-${session.status}`}>{statusWords[session.status]}</span>
                  <span class="muted">Started {new Date(session.started_at).toLocaleString()}</span>
                </div>
                <div class="actions">
                  <a class="button" href={`#/sessions/${session.id}`} aria-label={`${session.status === 'active' ? 'Resume' : 'Review'} ${title}, session ${session.id}`}>
                    {session.status === 'active' ? 'Resume' : 'Review'}
                  </a>
                  {session.status === 'active' && (
                    <button type="button" aria-label={`End ${title}, session ${session.id}`} onClick={() => void abandon(session)}>
                      End
                    </button>
                  )}
                </div>
              </li>
            );
          })}
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
