import { learnerApi, type LearnerApi } from '../client/api.js';
import { newKey } from '../client/deliver-turn.js';
import { ApiError, type Credentials } from '../client/http.js';
import { plainWords } from '../client/plain-words.js';
import type { Progress, Topic, Turn } from '../client/types.js';
import type { ChatOptions } from './options.js';
import type { Terminal } from './terminal.js';

/** Something the learner must fix before the chat can go on (bad credentials, an unknown topic): exit code 1. */
export class ChatError extends Error {}

const hintRequest = 'Can I have a hint?';
const commands = '/hint asks for a hint, /progress shows your progress, /sessions lists your sessions, /quit leaves.';

/** Signs in, picks a topic, starts a session and runs it until the topic is completed or the learner leaves. */
export async function runChat(baseUrl: string, options: ChatOptions, terminal: Terminal): Promise<void> {
  const api = learnerApi(await signIn(baseUrl, options, terminal), baseUrl);
  const topic = await chooseTopic(api, options, terminal);
  if (!topic) return;
  const started = await attempt(() => api.start(topic));
  terminal.say(`Session ${started.id} of learner ${api.credentials.userId}: ${topic.title} (${topic.course_title}). ${commands}`);
  terminal.say(`Tutor: ${started.initial_message}`);
  await converse(api, started.id, topic, terminal);
}

/** Runs an API call; its failure, in plain words, ends the chat. */
async function attempt<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new ChatError(plainWords(error));
  }
}

async function signIn(baseUrl: string, options: ChatOptions, terminal: Terminal): Promise<Credentials> {
  if (options.token) {
    const caller = await attempt(() => learnerApi({ kind: 'token', token: options.token!, userId: 0 }, baseUrl).me());
    if (caller.user_id === null) throw new ChatError('The token names no learner.');
    return { kind: 'token', token: options.token, userId: caller.user_id };
  }
  const userId = options.user ?? (terminal.interactive ? await askUserId(terminal) : 1);
  const credentials: Credentials = options.key ? { kind: 'key', key: options.key, userId } : { kind: 'open', userId };
  try {
    await learnerApi(credentials, baseUrl).me();
  } catch (error) {
    if (error instanceof ApiError && error.code === 'unauthorized') {
      throw new ChatError(options.key ? 'The service refused the key.' : 'The service requires credentials: give --key (with --user) or --token.');
    }
    throw new ChatError(plainWords(error));
  }
  return credentials;
}

async function askUserId(terminal: Terminal): Promise<number> {
  for (;;) {
    const answer = (await terminal.ask('Your learner id', '1'))?.trim();
    if (answer === undefined) throw new ChatError('No learner chosen.');
    if (answer === '') return 1;
    if (/^[1-9]\d{0,8}$/.test(answer)) return Number(answer);
    terminal.warn('A learner id is a whole number, 1 or more.');
  }
}

/** The topic of --topic, or one the learner picks from the catalog (by id when the catalog lists no courses). */
async function chooseTopic(api: LearnerApi, options: ChatOptions, terminal: Terminal): Promise<Topic | undefined> {
  if (options.topic !== undefined) {
    const topic = await attempt(() => api.topic(options.topic!));
    if (options.course !== undefined && topic.course_id !== options.course) throw new ChatError(`Topic ${topic.id} is not in course ${options.course}.`);
    return topic;
  }
  let courses;
  try {
    courses = await api.courses();
  } catch (error) {
    if (!(error instanceof ApiError && error.code === 'not_supported_by_curriculum')) throw new ChatError(plainWords(error));
    // The .NET curriculum lists no courses: the learner names the topic.
    const id = (await terminal.ask('The training platform lists the courses. The id of the topic to learn?'))?.trim();
    if (id === undefined) return undefined;
    if (!/^[1-9]\d{0,8}$/.test(id)) throw new ChatError('A topic id is a whole number, 1 or more.');
    return attempt(() => api.topic(Number(id)));
  }
  if (courses.length === 0) throw new ChatError('The catalog has no course.');
  const courseId =
    options.course ??
    (courses.length === 1
      ? courses[0]!.id
      : await terminal.choose(
          'Which course?',
          courses.map((course) => ({ value: course.id, label: course.title, hint: `${course.topic_count} topics` })),
        ));
  if (courseId === undefined) return undefined;
  const course = await attempt(() => api.course(courseId));
  const topicId = await terminal.choose(
    `Which topic of ${course.title}?`,
    course.topics.map((topic) => ({ value: topic.id, label: topic.title, hint: topic.description })),
  );
  return course.topics.find((topic) => topic.id === topicId);
}

/** The conversation: each line a message or a command, until the topic is completed or the learner leaves. */
async function converse(api: LearnerApi, sessionId: number, topic: Topic, terminal: Terminal): Promise<void> {
  for (;;) {
    const line = await terminal.ask('You');
    if (line === undefined || line.trim() === '/quit') {
      terminal.say(`Session ${sessionId} stays open: resume it from the web app (/app), or start the topic again.`);
      return;
    }
    const text = line.trim();
    if (text === '') continue;
    if (text === '/progress') {
      const session = await api.session(sessionId).catch((error: unknown) => terminal.warn(plainWords(error)));
      if (session) terminal.say(describeProgress(session.progress));
    } else if (text === '/sessions') {
      await listSessions(api, terminal);
    } else if (text.startsWith('/') && text !== '/hint') {
      terminal.say(commands);
    } else {
      const turn = await send(api, sessionId, text === '/hint' ? hintRequest : text, terminal);
      if (turn?.topic_completed) {
        terminal.say(`Topic completed! You have mastered "${topic.title}". ${describeProgress(turn.progress)}`);
        return;
      }
    }
  }
}

/** Sends a message and prints the reply as it streams; an error is shown in plain words, and the chat goes on. */
async function send(api: LearnerApi, sessionId: number, message: string, terminal: Terminal): Promise<Turn | undefined> {
  let shown = '';
  terminal.write('Tutor: ');
  try {
    const turn = await api.deliver({ sessionId, message, key: newKey() }, (text) => {
      // A reply that starts over (its stream was followed from the start) is written again on a line of its own.
      if (!text.startsWith(shown)) {
        terminal.write('\nTutor: ');
        shown = '';
      }
      terminal.write(text.slice(shown.length));
      shown = text;
    });
    if (turn.ai_message !== shown) terminal.write(turn.ai_message.startsWith(shown) ? turn.ai_message.slice(shown.length) : `\nTutor: ${turn.ai_message}`);
    terminal.write('\n');
    return turn;
  } catch (error) {
    terminal.write('\n');
    terminal.warn(`${plainWords(error)}${error instanceof ApiError && error.status >= 500 ? ' Send your message again.' : ''}`);
    return undefined;
  }
}

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

const describeProgress = (progress: Progress): string =>
  `Progress: ${count(progress.questions_asked, 'question')} asked, ${count(progress.graded_answers, 'answer')} graded, ${progress.correct_answers} correct; ` +
  `${progress.recent_correct} correct of your last ${progress.recent_graded} (the topic is complete at ${progress.pass_correct} of ${progress.question_count}).`;

const statusWords = { active: 'in progress', completed: 'completed', abandoned: 'ended' };

async function listSessions(api: LearnerApi, terminal: Terminal): Promise<void> {
  try {
    const { sessions } = await api.sessions();
    const titles = new Map<number, string>();
    for (const session of sessions) {
      if (!titles.has(session.topic_id)) titles.set(session.topic_id, await api.topic(session.topic_id).then((topic) => topic.title, () => `Topic ${session.topic_id}`));
    }
    terminal.say(
      sessions.length === 0
        ? 'You have no sessions.'
        : sessions
            .map((session) => `  ${session.id}  ${titles.get(session.topic_id)}: ${statusWords[session.status]}, started ${new Date(session.started_at).toLocaleString()}`)
            .join('\n'),
    );
  } catch (error) {
    terminal.warn(plainWords(error));
  }
}
