import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, stepCountIs, tool, zodSchema, type ModelMessage } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { generateReply } from '../../src/llm/generate-reply.js';
import { createHttpFetch } from '../../src/llm/http-fetch.js';
import { startGeminiDouble, type GeminiAnswer, type GeminiDouble } from '../support/gemini-double.js';
import { startOpenAiDouble, type ChatAnswer } from '../support/openai-double.js';

// generateReply stands in for generateText on the service's non-streamed replies: both, through the real Google
// provider and a Gemini double, must send the same requests and read the same reply, function calls included.
let gemini: GeminiDouble;
beforeAll(async () => {
  gemini = await startGeminiDouble(() => ({ text: 'unused' }));
});
afterAll(() => gemini.close());

let executed = 0;
const tools = {
  ask_question: tool({
    description: 'Ask the learner one question.',
    inputSchema: zodSchema(z.object({ question: z.string().min(1), expected_answer: z.string().min(1) })),
    execute: async () => {
      executed++;
      return { recorded: true };
    },
  }),
};

const messages: ModelMessage[] = [
  { role: 'user', content: 'Hello, I am ready to start this topic.' },
  { role: 'assistant', content: 'Welcome. What do you know about variables?' },
  { role: 'user', content: [{ type: 'text', text: 'Nothing yet.' }, { type: 'text', text: '[service note]' }] },
];

const settings = { system: 'You are a tutor.', messages, temperature: 0.7, maxOutputTokens: 512, maxRetries: 1 };
const providerOptions = { google: { safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_ONLY_HIGH' }] } };

/** Runs both on the same script, each from a fresh request log; returns what each sent and read. */
async function bothOn(script: GeminiAnswer[]) {
  const model = createGoogleGenerativeAI({ apiKey: 'k', baseURL: `${gemini.url}/v1beta`, fetch: createHttpFetch() })('gemini-test');
  const run = async <T>(call: () => Promise<T>) => {
    gemini.requests.length = 0;
    executed = 0;
    gemini.behave((_request, index) => script[index] ?? { status: 500, message: 'script ended' });
    const result = await call();
    return { result, bodies: withCallIdsNumbered(gemini.requests.map((request) => request.body)), executed };
  };
  const sdk = await run(() => generateText({ ...settings, model, tools, providerOptions, timeout: 5000, stopWhen: stepCountIs(3) }));
  const ours = await run(() => generateReply({ ...settings, model, tools, providerOptions, timeout: 5000, maxSteps: 3 }));
  return { sdk, ours };
}

/** The bodies with each function call's random id (the provider makes them up: Gemini gives none) named by its order. */
function withCallIdsNumbered(bodies: unknown[]): unknown[] {
  const names = new Map<string, string>();
  const json = JSON.stringify(bodies).replace(/"(id|tool_call_id)":"([^"]+)"/g, (_match, key: string, id: string) => {
    if (!names.has(id)) names.set(id, `call-${names.size}`);
    return `"${key}":"${names.get(id)}"`;
  });
  return JSON.parse(json) as unknown[];
}

/** What the service reads of a reply's part (text, function results and errors), in a form both sides share. */
function summary(part: { type: string; text?: string; toolName?: string; input?: unknown; output?: unknown; error?: unknown }): Record<string, unknown>[] {
  if (part.type === 'text') return [{ type: part.type, text: part.text }];
  if (part.type === 'tool-result') return [{ type: part.type, toolName: part.toolName, input: part.input, output: part.output }];
  if (part.type === 'tool-error') return [{ type: part.type, toolName: part.toolName, input: part.input, error: part.error }];
  return [];
}

describe('generateReply, against generateText', () => {
  it('sends the same requests through a function call, signed, an invalid call, and the reply after them', async () => {
    const { sdk, ours } = await bothOn([
      {
        text: 'A variable names a value.',
        functionCalls: [{ name: 'ask_question', args: { question: 'What is x = 3?', expected_answer: 'an assignment' }, thoughtSignature: 'sig-1' }],
        finishReason: 'STOP',
        usage: { prompt: 100, output: 20, cached: 40 },
      },
      {
        functionCalls: [
          { name: 'delete_everything', args: { all: true } },
          { name: 'ask_question', args: { question: 'Half a question?' } },
        ],
        usage: { prompt: 130, output: 5 },
      },
      { text: 'What is x = 3?', usage: { prompt: 150, output: 8 } },
    ]);

    expect(ours.bodies).toHaveLength(3);
    expect(ours.bodies).toEqual(sdk.bodies);
    // Gemini 3 needs its signature back on the call it signed, in the next step's request.
    expect(JSON.stringify((ours.bodies[1] as { contents: unknown }).contents)).toContain('"thoughtSignature":"sig-1"');
    expect(ours.executed).toBe(1);
    expect(sdk.executed).toBe(1);

    const sdkParts = sdk.result.steps.flatMap((step) => step.content).flatMap(summary);
    expect(ours.result.content.flatMap(summary)).toEqual(sdkParts);
    expect(sdkParts.map((part) => part.type)).toEqual(['text', 'tool-result', 'tool-error', 'tool-error', 'text']);

    const total = (key: 'inputTokens' | 'outputTokens') => ours.result.usage.reduce((sum, usage) => sum + (usage[key] ?? 0), 0);
    expect([total('inputTokens'), total('outputTokens')]).toEqual([sdk.result.totalUsage.inputTokens, sdk.result.totalUsage.outputTokens]);
    expect(ours.result.usage[0]?.inputTokenDetails.cacheReadTokens).toBe(40);
    expect(ours.result.finishReason).toBe(sdk.result.rawFinishReason);
  });

  it('stops after the step limit, with the calls of the last step not answered', async () => {
    const call: GeminiAnswer = { functionCalls: [{ name: 'ask_question', args: { question: 'Q?', expected_answer: 'A' } }] };
    const { sdk, ours } = await bothOn([call, call, call, { text: 'never asked for' }]);
    expect(ours.bodies).toHaveLength(3);
    expect(ours.bodies).toEqual(sdk.bodies);
    expect(ours.executed).toBe(sdk.executed);
  });

  it('carries out no call made when the model stopped at its token limit', async () => {
    const { sdk, ours } = await bothOn([
      { text: 'Cut off', functionCalls: [{ name: 'ask_question', args: { question: 'Q?', expected_answer: 'A' } }], finishReason: 'MAX_TOKENS' },
    ]);
    expect(ours.bodies).toHaveLength(1);
    expect(sdk.bodies).toHaveLength(1);
    expect([ours.executed, sdk.executed]).toEqual([0, 0]);
    expect(ours.result.content).toEqual([{ type: 'text', text: 'Cut off' }]);
    expect(ours.result.finishReason).toBe('MAX_TOKENS');
  });

  it('ends the reply at a call to a function it cannot carry out itself (no execute), as generateText does', async () => {
    const model = createGoogleGenerativeAI({ apiKey: 'k', baseURL: `${gemini.url}/v1beta`, fetch: createHttpFetch() })('gemini-test');
    const callerAnswers = { ask_question: tool({ description: 'Asked by the caller.', inputSchema: zodSchema(z.object({ question: z.string() })) }) };
    gemini.requests.length = 0;
    gemini.behave(() => ({ text: 'Asking.', functionCalls: [{ name: 'ask_question', args: { question: 'Q?' } }] }));
    const sdk = await generateText({ ...settings, model, tools: callerAnswers, timeout: 5000, stopWhen: stepCountIs(3) });
    const ours = await generateReply({ ...settings, model, tools: callerAnswers, timeout: 5000, maxSteps: 3 });
    expect(gemini.requests).toHaveLength(2);
    expect(sdk.steps).toHaveLength(1);
    expect(ours.content).toEqual([{ type: 'text', text: 'Asking.' }]);
  });

  it('retries a 429 as the SDK does, honouring Retry-After, and gives up after its retries', async () => {
    const busy: GeminiAnswer = { status: 429, message: 'Resource exhausted', headers: { 'retry-after': '0' } };
    const { sdk, ours } = await bothOn([busy, { text: 'Here.' }]);
    expect(ours.bodies).toHaveLength(2);
    expect(ours.bodies).toEqual(sdk.bodies);
    expect(ours.result.content).toEqual([{ type: 'text', text: 'Here.' }]);

    const model = createGoogleGenerativeAI({ apiKey: 'k', baseURL: `${gemini.url}/v1beta`, fetch: createHttpFetch() })('gemini-test');
    gemini.requests.length = 0;
    gemini.behave(() => busy);
    await expect(generateReply({ ...settings, model, timeout: 5000, maxSteps: 3 })).rejects.toThrow(/Resource exhausted/);
    expect(gemini.requests).toHaveLength(2);
  });

  it('sends the same requests as generateText to an OpenAI-compatible server, invalid calls included', async () => {
    const script: ChatAnswer[] = [
      { text: 'A variable names a value.', toolCalls: [{ name: 'ask_question', arguments: { question: 'What is x = 3?', expected_answer: 'an assignment' } }] },
      { toolCalls: [{ name: 'delete_everything', arguments: {} }, { name: 'ask_question', arguments: { question: 'Half?' } }] },
      { text: 'What is x = 3?' },
    ];
    let answered = 0;
    const openai = await startOpenAiDouble(() => script[answered++ % script.length]!);
    try {
      const model = createOpenAICompatible({ name: 'openai', baseURL: openai.url, apiKey: 'k', includeUsage: true, fetch: createHttpFetch() }).chatModel('gpt-test');
      const sdk = await generateText({ ...settings, model, tools, timeout: 5000, stopWhen: stepCountIs(3) });
      const ours = await generateReply({ ...settings, model, tools, timeout: 5000, maxSteps: 3 });
      const bodies = openai.requests.map((request) => request.body);
      expect(bodies).toHaveLength(6);
      expect(withCallIdsNumbered(bodies.slice(3))).toEqual(withCallIdsNumbered(bodies.slice(0, 3)));
      expect(ours.content.flatMap(summary)).toEqual(sdk.steps.flatMap((step) => step.content).flatMap(summary));
    } finally {
      await openai.close();
    }
  });
});
