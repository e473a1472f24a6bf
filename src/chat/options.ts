import { parseArgs } from 'node:util';
import { UsageError } from '../command-line.js';

/** The terminal chat's command line. */
export interface ChatOptions {
  /** The service to talk to; unset: the one on this machine's PORT if it answers, else an embedded one. */
  url?: string;
  key?: string;
  token?: string;
  user?: number;
  course?: number;
  topic?: number;
}

export const usage = `Usage: npm run chat -- [options]    (or ai-tutor-chat [options])

Learn a topic with the AI tutor in the terminal.

  --url URL      the service to use (default: http://127.0.0.1:$PORT if a service answers there,
                 otherwise the service started in this process, on DATA_DIR)
  --key KEY      the service API key (SERVICE_API_KEY), to act for the learner given by --user
  --token JWT    a learner's access token (the learner is the token's)
  --user ID      the learner's id (asked for in a terminal; 1 otherwise)
  --course ID    the course (asked for when the catalog has several)
  --topic ID     the topic (asked for otherwise)
  --help         this text

In the chat: /hint asks for a hint, /progress shows your progress, /sessions lists your sessions,
/quit leaves (the session stays open). When standard input is not a terminal, each line is a
message or a command, so that a script can drive the chat.`;


const positiveId = (name: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  if (!/^[1-9]\d{0,9}$/.test(value) || Number(value) > 2_147_483_647) throw new UsageError(`--${name} must be a positive whole number`);
  return Number(value);
};

/** The options, or undefined for --help; throws UsageError for anything it cannot take. */
export function parseOptions(argv: string[]): ChatOptions | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      options: {
        url: { type: 'string' },
        key: { type: 'string' },
        token: { type: 'string' },
        user: { type: 'string' },
        course: { type: 'string' },
        topic: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values } = parsed;
  if (values.help) return undefined;
  if (values.url !== undefined && !/^https?:\/\/[^/]+/.test(values.url)) throw new UsageError('--url must be an http:// or https:// URL');
  if (values.token !== undefined && values.user !== undefined) throw new UsageError("--token names its learner: leave out --user");
  return {
    url: values.url?.replace(/\/+$/, ''),
    key: values.key,
    token: values.token,
    user: positiveId('user', values.user),
    course: positiveId('course', values.course),
    topic: positiveId('topic', values.topic),
  };
}
