import { createInterface } from 'node:readline';
import * as prompts from '@clack/prompts';

export interface Choice<T> {
  value: T;
  label: string;
  hint?: string;
}

/**
 * The chat's input and output. In a terminal, the learner answers prompts (@clack/prompts); otherwise standard input
 * is read line by line, so that a script can drive the chat, and output is plain lines.
 */
export interface Terminal {
  readonly interactive: boolean;
  /** The next line the learner writes; undefined when the input ends (or the learner cancels). */
  ask(message: string, placeholder?: string): Promise<string | undefined>;
  /** One of the choices; undefined when the input ends. Without a terminal, the line must be a choice's value. */
  choose<T extends string | number>(message: string, choices: Choice<T>[]): Promise<T | undefined>;
  /** A line of output. */
  say(text: string): void;
  /** Output as it comes (a streamed reply). */
  write(text: string): void;
  warn(text: string): void;
  close(): void;
}

export function openTerminal(): Terminal {
  return process.stdin.isTTY && process.stdout.isTTY ? interactiveTerminal() : lineTerminal();
}

function interactiveTerminal(): Terminal {
  const answer = <T>(value: T | symbol): T | undefined => (prompts.isCancel(value) ? undefined : (value as T));
  return {
    interactive: true,
    ask: async (message, placeholder) => answer<string>(await prompts.text({ message, placeholder })),
    choose: async (message, choices) =>
      answer(await prompts.select({ message, options: choices.map(({ value, label, hint }) => ({ value, label, hint })) as never })),
    say: (text) => prompts.log.message(text),
    write: (text) => process.stdout.write(text),
    warn: (text) => prompts.log.warn(text),
    close: () => {},
  };
}

function lineTerminal(): Terminal {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })[Symbol.asyncIterator]();
  const next = async (): Promise<string | undefined> => {
    const line = await lines.next();
    return line.done ? undefined : line.value;
  };
  // What was read is echoed, so that the output reads as the conversation it was.
  const echo = (message: string, line: string | undefined) => {
    if (line !== undefined) console.log(`${message}: ${line}`);
    return line;
  };
  return {
    interactive: false,
    ask: async (message) => echo(message, await next()),
    choose: async (message, choices) => {
      console.log(message);
      for (const choice of choices) console.log(`  ${choice.value}  ${choice.label}`);
      const line = echo('Choice', await next())?.trim();
      if (line === undefined) return undefined;
      const chosen = choices.find((choice) => String(choice.value) === line);
      if (!chosen) throw new Error(`"${line}" is not one of ${choices.map((choice) => choice.value).join(', ')}`);
      return chosen.value;
    },
    say: (text) => console.log(text),
    write: (text) => process.stdout.write(text),
    warn: (text) => console.error(text),
    close: () => void lines.return?.(),
  };
}
