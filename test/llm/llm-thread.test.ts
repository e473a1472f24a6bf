import { AsyncLocalStorage } from 'node:async_hooks';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createGeminiTutor } from '../../src/llm/gemini.js';
import type { LlmProvider, TutorEvent, TutorRequest } from '../../src/llm/llm.js';
import { createLlmThread, type LlmThread } from '../../src/llm/llm-thread.js';
import type { ModelLlmConfig } from '../../src/llm/llm-thread-protocol.js';
import { createLogger } from '../../src/logger.js';
import { startGeminiDouble, type GeminiDouble, type GeminiRequest } from '../support/gemini-double.js';
import { gradeAnswer } from '../support/scripted-gemini.js';

let gemini: GeminiDouble;
let config: Extract<ModelLlmConfig, { provider: 'gemini' }>;
const threads: LlmThread[] = [];

// What the service's logger wrote, each line with the request id current when it was written.
const lines: Record<string, unknown>[] = [];
const requestIds = new AsyncLocalStorage<string>();
const log = createLogger(
  'info',
  () => requestIds.getStore(),
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  }),
);

const thread = (entry?: URL) => {
  const started = createLlmThread(config, 'info', log, entry);
  threads.push(started);
  return started;
};

beforeAll(async () => {
  gemini = await startGeminiDouble(() => ({ text: 'unused' }));
  config = {
    provider: 'gemini',
    apiKey: 'thread-key',
    baseUrl: gemini.url,
    safetyThreshold: 'BLOCK_MEDIUM_AND_ABOVE',
    model: 'gemini-2.5-flash',
    graderModel: 'gemini-2.5-flash-lite',
    temperature: 0.7,
    maxOutputTokens: 1024,
    timeoutMs: 10_000,
    maxRetries: 0,
  };
});
afterAll(async () => {
  await Promise.all(threads.map((started) => started.close()));
  await gemini?.close();
});

const request = (overrides: Partial<TutorRequest> = {}): TutorRequest => ({
  system: 'You teach variables.',
  history: [
    { role: 'user', content: 'What is a variable?' },
    { role: 'assistant', content: 'A named value.', askedQuestion: { question: 'Which type stores text?', expectedAnswer: 'string', objective: null } },
  ],
  learnerMessage: 'Explain it again, please.',
  turn: {
    kind: 'question',
    topic: { title: 'Variables', courseTitle: 'Python', description: 'Names for values', explanation: null },
    learner: { level: 'beginner', completedTopics: [], struggles: [] },
    progress: { graded: 0, correct: 0, recentGraded: 0, recentCorrect: 0, passed: false },
    rule: { passCorrect: 2, questionCount: 3 },
  },
  askQuestionTool: true,
  ...overrides,
});

/** Whether the model's last function call has been answered: the request ends with the function's response. */
const answered = (call: GeminiRequest) => call.body.contents.at(-1).parts.some((part: { functionResponse?: unknown }) => part.functionResponse);

async function events(llm: LlmProvider, call: TutorRequest): Promise<TutorEvent[]> {
  const seen: TutorEvent[] = [];
  for await (const event of llm.respond(call)) seen.push(event);
  return seen;
}

describe('the LLM thread', () => {
  it('answers as the provider does on the service thread: a whole reply, a streamed one and a grade', async () => {
    gemini.behave((call) =>
      call.grading
        ? gradeAnswer(call)
        : answered(call)
          ? { text: 'Which type stores text?', usage: { prompt: 30, output: 6 } }
          : { text: 'Here is another way to see it.', functionCalls: [{ name: 'ask_question', args: { question: 'Which type stores text?', expected_answer: 'string' } }] },
    );
    const here = createGeminiTutor(config, log);
    const there = thread();
    for (const stream of [false, true]) {
      const expected = await events(here, request({ stream }));
      // Streamed, each text comes in pieces.
      expect(new Set(expected.map((event) => event.type))).toEqual(new Set(['text', 'question', 'finish']));
      expect(await events(there, request({ stream }))).toEqual(expected);
    }
    const question = { question: 'Which type stores text?', expectedAnswer: 'string', acceptedAnswers: [], hint: null };
    const grade = await there.grade({ question, answer: 'a string' });
    expect(grade).toEqual(await here.grade({ question, answer: 'a string' }));
    expect(grade.correct).toBe(true);
  });

  it('passes a failed call on as what the service logs and counts of it', async () => {
    gemini.behave(() => ({ status: 500, message: 'the model is down' }));
    type Failure = Error & { statusCode?: number };
    const failureOf = (llm: LlmProvider) => events(llm, request()).then((): Failure => new Error('no failure'), (error: unknown) => error as Failure);
    const direct = await failureOf(createGeminiTutor(config, log));
    const failure = await failureOf(thread());
    expect(failure).toBeInstanceOf(Error);
    expect(failure).toMatchObject({ name: 'AI_APICallError', message: 'the model is down', statusCode: 500, isRetryable: true });
    expect(failure).toMatchObject({ name: direct.name, message: direct.message, statusCode: direct.statusCode });
    // The SDK's error carries the request (the prompt, the learner's words); none of it crosses over.
    expect(Object.keys(failure)).not.toContain('requestBodyValues');
  });

  it("writes the thread's log lines through the service's logger, with the id of the request that made the call", async () => {
    gemini.behave((call) => (answered(call) ? { text: 'Let us go on.' } : { functionCalls: [{ name: 'delete_everything', args: {} }] }));
    const llm = thread();
    const [first, second] = await Promise.all([
      requestIds.run('request-1', () => events(llm, request({ learnerMessage: 'one' }))),
      requestIds.run('request-2', () => events(llm, request({ learnerMessage: 'two' }))),
    ]);
    expect(first.at(0)).toEqual({ type: 'text', text: 'Let us go on.' });
    expect(second.at(0)).toEqual({ type: 'text', text: 'Let us go on.' });
    const warnings = lines.filter((line) => line.msg === 'the tutor model made an invalid function call');
    expect(warnings.map((line) => line.requestId).sort()).toEqual(['request-1', 'request-2']);
    expect(warnings[0]).toMatchObject({ level: 40, provider: 'gemini', tool: 'delete_everything' });
    expect(warnings[0]).not.toHaveProperty('llmCall');
  });

  it('fails the calls in flight when the thread stops, and starts another for the next call', async () => {
    const llm = thread(new URL('../support/stopping-llm-thread.ts', import.meta.url));
    const calls = [events(llm, request({ learnerMessage: 'stop' })), events(llm, request({ learnerMessage: 'meanwhile' }))];
    for (const call of calls) await expect(call).rejects.toThrow('the LLM thread stopped (exit code 3)');
    expect(await events(llm, request())).toContainEqual({ type: 'text', text: 'a thread that did not stop' });
  });

  it('fails the calls in flight when closed, and refuses new ones', async () => {
    gemini.behave(() => ({ text: 'too late', delayMs: 30_000 }));
    const llm = thread();
    const asked = gemini.requests.length;
    const inFlight = events(llm, request());
    await vi.waitFor(() => expect(gemini.requests.length).toBe(asked + 1), { timeout: 20_000 });
    await llm.close();
    await expect(inFlight).rejects.toThrow('the LLM thread is closed');
    await expect(events(llm, request())).rejects.toThrow('the LLM thread is closed');
  });
});
