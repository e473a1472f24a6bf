/**
 * The LLM for the benchmark: the Gemini protocol double of the test suite, in a process of its own so that its
 * work is not counted as the service's, behaving as a well-prompted tutor model would. The parent sets its latency
 * and asks what it saw over IPC.
 */
import { startGeminiDouble, type GeminiRequest } from '../test/support/gemini-double.js';
import { offersAskQuestion } from '../test/support/scripted-gemini.js';

export type DoubleCommand =
  /** Milliseconds before the answer, and between its streamed chunks. */
  | { type: 'latency'; ms: number; chunkMs?: number }
  /** Start (or stop) keeping what each request was; off under load, to stay cheap. */
  | { type: 'record'; on: boolean }
  | { type: 'recorded' };

export interface RecordedRequest {
  /** A grading call, or a tutor reply. */
  kind: 'grade' | 'reply';
  /** Whether the reply was offered ask_question. */
  asks: boolean;
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
const recorded: { request: GeminiRequest; kind: RecordedRequest['kind']; asks: boolean }[] = [];

const textOf = (parts: { text?: string }[] = []) => parts.map((part) => part.text ?? '').join('\n');
const between = (text: string, tag: string) => new RegExp(`<${tag}>\\n([\\s\\S]*?)\\n</${tag}>`).exec(text)?.[1] ?? '';
// Prompt tokens as the model would count them, about four characters each: the double's usage, so that a session's
// `usage` on GET /api/sessions/{id} tells what its prompts cost.
const tokens = (request: GeminiRequest) => Math.ceil(JSON.stringify(request.body).length / 4);

const double = await startGeminiDouble((request) => {
  double.requests.length = 0; // the double keeps every request it saw: under load they would pile up
  const contents: { parts: { text?: string }[] }[] = request.body.contents;
  const asks = offersAskQuestion(request);
  if (recording) recorded.push({ request, kind: request.grading ? 'grade' : 'reply', asks });
  const timing = { delayMs: latencyMs, chunkDelayMs: chunkMs };
  if (request.grading) {
    // The grader: right when the learner's answer holds the expected one.
    const prompt = textOf(contents[0]?.parts);
    const correct = between(prompt, 'learner_answer').toLowerCase().includes(between(prompt, 'expected_answer').toLowerCase());
    const text = JSON.stringify({ correct, feedback: correct ? 'Right, well done.' : 'Not quite: look at the example again.' });
    return { text, usage: { prompt: tokens(request), output: 12 }, ...timing };
  }
  // The tutor: it explains, and asks the question the service's note names, with ask_question in the same response.
  const last = textOf(contents.at(-1)?.parts);
  // "… with ask_question …: "the question"": up to the line's last quote, as a question may hold quotes itself.
  const question = asks ? /ask_question[^"\n]*: "(.*)"/.exec(last)?.[1] : undefined;
  const text = question ? `${explanation}\n\nNext question: ${question}` : explanation;
  return {
    text,
    functionCalls: question ? [{ name: 'ask_question', args: { question, expected_answer: 'as the question bank says' } }] : undefined,
    usage: { prompt: tokens(request), output: Math.ceil(text.length / 4) },
    ...timing,
  };
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
      const answer: RecordedRequest[] = recorded.map(({ request, kind, asks }) => ({
        kind,
        asks,
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
