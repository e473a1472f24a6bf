#!/usr/bin/env node
// `npm run chat` (the `ai-tutor-chat` command): a tutoring session in the terminal, against a running service or
// one started in this process.
import { ConfigError } from '../config.js';
import { CatalogError } from '../curriculum/catalog-error.js';
import { connect, type Connection } from './connect.js';
import { ChatError, runChat } from './conversation.js';
import { commandOptions } from '../command-line.js';
import { parseOptions, usage } from './options.js';
import { openTerminal } from './terminal.js';

async function main(): Promise<number> {
  const command = commandOptions(parseOptions, usage, process.argv.slice(2));
  if ('exitCode' in command) return command.exitCode;
  const { options } = command;
  const terminal = openTerminal();
  let connection: Connection | undefined;
  const leave = async () => {
    terminal.close();
    await connection?.close();
  };
  // Ctrl+C closes the embedded service first, so that its database is left clean.
  process.once('SIGINT', () => void leave().finally(() => process.exit(130)));
  try {
    connection = await connect(options.url);
    terminal.say(connection.description);
    // The service started here takes its own key: the learner needs no credentials of their own.
    const credentials = options.key || options.token ? options : { ...options, key: connection.serviceKey };
    await runChat(connection.url, credentials, terminal);
    return 0;
  } catch (error) {
    if (error instanceof ChatError || error instanceof ConfigError || error instanceof CatalogError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  } finally {
    await leave();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`The chat failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
