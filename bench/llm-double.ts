/**
 * The LLM for the benchmark: the Gemini protocol double of the test suite, in a process of its own so that its
 * work is not counted as the service's. The parent sets its latency and asks what it saw over IPC.
 */
import { startGeminiDouble, type GeminiRequest } from '../test/support/gemini-double.js';

export type DoubleCommand =
  /** Milliseconds before the answer, and between its streamed chunks. */
  | { type: 'latency'; ms: number; chunkMs?: number }
  /** Start (or stop) keeping the size and first-chunk time of each request; off under load, to stay cheap. */
  | { type: 'record'; on: boolean }
  | { type: 'recorded' };

export interface RecordedRequest {
  /** Characters of the request body the service sent. */
  chars: number;
  /** `process.hrtime.bigint()` as a string: IPC carries JSON. */
  firstChunkAt?: string;
}

// A tutor's explanation of a realistic length, streamed in a few chunks.
const explanation =
  'Good question. A variable is a named place where a program keeps a value so that it can use it later. ' +
  'Think of a labelled box: the label is the name, the content is the value, and you can put a new value in ' +
  'the box whenever you need to. In Python you create one by assignment, for example `age = 30`, and the ' +
  'type of the value decides what you can do with it: numbers can be added, strings can be joined, lists ' +
  'can grow. Names should say what the value means, so `total_price` is better than `tp`. Does that make ' +
  'sense so far, or would another example help?';

let latencyMs = 0;
let chunkMs = 0;
let recording = false;
const recorded: GeminiRequest[] = [];

const double = await startGeminiDouble((request) => {
  double.requests.length = 0; // the double keeps every request it saw: under load they would pile up
  if (recording) recorded.push(request);
  return { text: explanation, usage: { prompt: 1200, output: 140 }, delayMs: latencyMs, chunkDelayMs: chunkMs };
});

process.on('message', (command: DoubleCommand) => {
  switch (command.type) {
    case 'latency':
      latencyMs = command.ms;
      chunkMs = command.chunkMs ?? 0;
      process.send!({ type: 'done' });
      break;
    case 'record':
      recording = command.on;
      recorded.length = 0;
      process.send!({ type: 'done' });
      break;
    case 'recorded': {
      const answer: RecordedRequest[] = recorded.map((request) => ({
        chars: JSON.stringify(request.body).length,
        firstChunkAt: request.firstChunkAt?.toString(),
      }));
      process.send!({ type: 'recorded', requests: answer });
      break;
    }
  }
});
process.on('disconnect', () => void double.close().then(() => process.exit(0)));
process.send!({ type: 'ready', url: double.url });
