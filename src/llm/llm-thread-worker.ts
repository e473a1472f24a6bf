/**
 * The LLM thread (see llm-thread.ts): the model provider runs here, and answers the service's thread over
 * `parentPort`.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import type { LlmProvider, TutorEvent } from './llm.js';
import { errorFacts } from './llm-error.js';
import type { ThreadAnswer, ThreadCall, ThreadData } from './llm-thread-protocol.js';

const { llm: config, logLevel } = workerData as ThreadData;
const port = parentPort!;
const answer = (message: ThreadAnswer) => port.postMessage(message);

// Log lines go to the service's thread, which writes them with the request's id: each is sent with the call it
// was written during.
const callOf = new AsyncLocalStorage<number>();
const log = pino({ level: logLevel, base: undefined, timestamp: false }, { write: (line: string) => answer({ id: callOf.getStore(), type: 'log', line }) });

// Calls that arrive while the provider's modules load wait for them.
const provider: Promise<LlmProvider> =
  config.provider === 'gemini'
    ? import('./gemini.js').then(({ createGeminiTutor }) => createGeminiTutor(config, log))
    : import('./openai-compatible.js').then(({ createOpenAiCompatibleTutor }) => createOpenAiCompatibleTutor(config, log));

port.on('message', (call: ThreadCall) => {
  void callOf.run(call.id, () => carryOut(call)).catch((error: unknown) =>
    answer({ id: call.id, type: 'error', error: error instanceof Error ? errorFacts(error) : { name: 'Error', message: String(error) } }),
  );
});

async function carryOut(call: ThreadCall): Promise<void> {
  const llm = await provider;
  if (call.type === 'grade') {
    answer({ id: call.id, type: 'grade', grade: await llm.grade(call.request) });
    return;
  }
  // A reply nobody streams crosses over in one message; a streamed one event by event, as it arrives.
  const events: TutorEvent[] = [];
  for await (const event of llm.respond(call.request)) {
    if (call.request.stream) answer({ id: call.id, type: 'events', events: [event], end: false });
    else events.push(event);
  }
  answer({ id: call.id, type: 'events', events, end: true });
}
