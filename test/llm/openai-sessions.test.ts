import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../support/build-test-app.js';
import { startOpenAiDouble, type ChatBehaviour, type ChatRequest, type OpenAiDouble } from '../support/openai-double.js';
import { say, startSession } from '../support/requests.js';
import { scriptedQuestions } from '../support/scripted-gemini.js';

type Message = { role: string; content: string | { type: string; text: string }[] | null; tool_calls?: { function: { name: string; arguments: string } }[] };
const textOf = (message: Message | undefined) =>
  typeof message?.content === 'string' ? message.content : (message?.content ?? []).map((part) => part.text).join('\n');

/** The same well-behaved tutor as the Gemini script, on the chat-completions protocol. */
const scriptedChatTutor: ChatBehaviour = (request: ChatRequest) => {
  const messages: Message[] = request.body.messages;
  if (request.grading) {
    const prompt = textOf(messages.at(-1));
    const expected = /<expected_answer>\n([\s\S]*?)\n<\/expected_answer>/.exec(prompt)![1]!;
    const answer = /<learner_answer>\n([\s\S]*?)\n<\/learner_answer>/.exec(prompt)![1]!;
    const correct = answer.toLowerCase().includes(expected.toLowerCase());
    return { text: JSON.stringify({ correct, feedback: correct ? 'Right.' : 'Not quite.' }), usage: { prompt: 30, completion: 8 } };
  }
  if (textOf(messages.at(-1)).includes('The topic is now COMPLETE')) return { text: 'Topic mastered, congratulations!' };
  const asked = messages.flatMap((message) => message.tool_calls ?? []).filter((call) => call.function.name === 'ask_question');
  const next = scriptedQuestions[asked.length % scriptedQuestions.length]!;
  return {
    text: `Question: ${next.question}`,
    toolCalls: [{ name: 'ask_question', arguments: { question: next.question, expected_answer: next.expected } }],
    usage: { prompt: 100, completion: 10, cached: 64 },
  };
};

let openai: OpenAiDouble;
let t: TestApp;
beforeAll(async () => {
  openai = await startOpenAiDouble(scriptedChatTutor);
  t = await buildTestApp({ LLM_PROVIDER: 'openai', OPENAI_BASE_URL: openai.url, OPENAI_API_KEY: 'sk-test', OPENAI_MODEL: 'llama-test' });
});
afterAll(async () => {
  await t?.close();
  await openai?.close();
});
beforeEach(() => {
  openai.requests.length = 0;
});

describe('LLM_PROVIDER=openai (chat completions)', () => {
  it('runs a whole graded session with the same function, grading and completion', async () => {
    const { id, initial_message } = await startSession(t.app);
    expect(initial_message).toBe('Question: Which data type stores text?');
    const first = openai.requests[0]!;
    expect(first.authorization).toBe('Bearer sk-test');
    expect(first.body.model).toBe('llama-test');
    expect(first.body.messages[0]).toMatchObject({ role: 'system' });
    expect(textOf(first.body.messages[0])).toContain('Topic: Variables and Data Types');
    expect(first.body.tools[0].function.name).toBe('ask_question');

    expect((await say(t.app, id, 'string')).topic_completed).toBe(false);
    const grading = openai.requests.find((request) => request.grading)!;
    expect(grading.body.messages).toHaveLength(2); // the grader's instructions and the one answer, nothing else
    const done = await say(t.app, id, 'integer');
    expect(done).toMatchObject({ topic_completed: true, ai_message: 'Topic mastered, congratulations!' });

    const session = (await t.app.inject({ url: `/api/sessions/${id}` })).json();
    expect(session.status).toBe('completed');
    expect(session.usage.cached_tokens).toBe(64 * 2); // the opening and the reply that asked the second question
    // One model call a reply: the opening, then a grade and a reply for each of the two answers.
    expect(openai.requests.map((request) => (request.grading ? 'grade' : 'reply'))).toEqual(['reply', 'grade', 'reply', 'grade', 'reply']);
  });

  it('streams replies', async () => {
    const { id } = await startSession(t.app);
    const response = await t.app.inject({
      method: 'POST',
      url: `/api/sessions/${id}/message`,
      headers: { accept: 'text/event-stream' },
      payload: { message: 'string' },
    });
    const deltas = [...response.body.matchAll(/^event: delta\ndata: (.*)$/gm)].map((match) => JSON.parse(match[1]!).text);
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe('Question: Which data type stores whole numbers?');
    expect(response.body).toMatch(/event: done\ndata: .*"ai_message":"Question: Which data type stores whole numbers\?"/);
  });
});
