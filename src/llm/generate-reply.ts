import type { JSONValue, LanguageModelV3, LanguageModelV3CallOptions, LanguageModelV3ToolCall } from '@ai-sdk/provider';
import { asSchema, InvalidToolInputError, NoSuchToolError, TypeValidationError, type AssistantModelMessage, type LanguageModelUsage, type ModelMessage, type ToolResultPart, type ToolSet } from 'ai';
import { asLanguageModelUsage, convertToLanguageModelPrompt, prepareRetries, prepareToolsAndToolChoice } from 'ai/internal';

export interface ReplyCall extends Pick<LanguageModelV3CallOptions, 'temperature' | 'maxOutputTokens' | 'providerOptions'> {
  model: LanguageModelV3;
  system: string;
  messages: ModelMessage[];
  tools?: ToolSet;
  maxRetries: number;
  /** Milliseconds the whole reply may take, retries included, as `generateText`'s `timeout`. */
  timeout: number;
  /** Model calls at most, as `generateText`'s `stopWhen: stepCountIs(maxSteps)`. */
  maxSteps: number;
}

/** A reply's content, in the shape of `generateText`'s content parts (those this service reads). */
export type ReplyPart =
  | { type: 'text'; text: string }
  | { type: 'tool-result'; toolName: string; input: unknown; output: unknown }
  | { type: 'tool-error'; toolName: string; input: unknown; error: string };

export interface Reply {
  content: ReplyPart[];
  /** Each model call's token usage. */
  usage: LanguageModelUsage[];
  /** The last call's finish reason, as the provider gave it when it did. */
  finishReason: string;
}

type Declarations = Awaited<ReturnType<typeof prepareToolsAndToolChoice>>;

// A tool set's function declarations, made once: converting their schemas to JSON Schema is the costly part.
const declarations = new WeakMap<ToolSet, Promise<Declarations>>();

// A model's supported URLs, read once: Google's model builds its regular expressions anew on every read, ~4 % of a
// reply's CPU. They depend on the model's configuration alone.
const supportedUrlsOf = new WeakMap<LanguageModelV3, Promise<LanguageModelV3['supportedUrls']>>();

/**
 * The model's whole reply as `generateText` makes it, step by step, built from the SDK's own parts: its prompt
 * conversion, its function declarations and its retries (which honour `Retry-After`). Not `generateText` itself: it
 * checks the messages it is given against its Zod schema on every call, asynchronously and so without Zod's compiled
 * fast path, which for a 50-message history was ~0.1 ms of the service's one thread a turn, and with the step
 * results, callbacks and telemetry spans it builds, which this service does not read, ~0.3 ms (BENCHMARKS.md, Turns).
 * The messages here are built by the service and typed as the SDK's at compile time. Streamed replies still go
 * through `streamText`.
 */
export async function generateReply(call: ReplyCall): Promise<Reply> {
  const { model, system, tools, maxSteps } = call;
  const abortSignal = AbortSignal.timeout(call.timeout);
  const { retry } = prepareRetries({ maxRetries: call.maxRetries, abortSignal });
  const declared = tools ? await declarationsOf(tools) : { tools: undefined, toolChoice: undefined };
  const settings = { temperature: call.temperature, maxOutputTokens: call.maxOutputTokens, providerOptions: call.providerOptions };
  const supportedUrls = await urlsOf(model);
  const messages = [...call.messages];
  const reply: Reply = { content: [], usage: [], finishReason: 'other' };
  for (let step = 1; ; step++) {
    const prompt = await convertToLanguageModelPrompt({ prompt: { system, messages }, supportedUrls, download: undefined, abortSignal });
    const response = await retry(() => model.doGenerate({ ...settings, ...declared, prompt, abortSignal }));
    reply.usage.push(asLanguageModelUsage(response.usage));
    reply.finishReason = response.finishReason.raw ?? response.finishReason.unified;
    // As in the SDK: a valid call is carried out only when the model stopped for it (not, say, at its token limit).
    const carriedOut = response.finishReason.unified === 'stop' || response.finishReason.unified === 'tool-calls';
    const said: Exclude<AssistantModelMessage['content'], string> = [];
    const answered: ToolResultPart[] = [];
    for (const part of response.content) {
      if (part.type === 'text' && part.text) {
        reply.content.push({ type: 'text', text: part.text });
        said.push({ type: 'text', text: part.text, providerOptions: part.providerMetadata });
      } else if (part.type === 'reasoning') {
        said.push({ type: 'reasoning', text: part.text, providerOptions: part.providerMetadata });
      } else if (part.type === 'tool-call' && !part.providerExecuted) {
        const checked = await checkCall(part, tools);
        const execute = tools?.[part.toolName]?.execute;
        const { input } = checked;
        // The call goes back to the model as it was made, with its provider metadata (Gemini's thought signature).
        said.push({ type: 'tool-call', toolCallId: part.toolCallId, toolName: part.toolName, input, providerOptions: part.providerMetadata });
        if ('error' in checked) {
          reply.content.push({ type: 'tool-error', toolName: part.toolName, input, error: checked.error.message });
          answered.push(toolResult(part, { type: 'error-text', value: checked.error.message }));
        } else if (carriedOut && execute) {
          // A tool without `execute` is answered by the caller, not here: as in the SDK, the reply ends with its call.
          const output: unknown = await execute(input, { toolCallId: part.toolCallId, messages, abortSignal });
          reply.content.push({ type: 'tool-result', toolName: part.toolName, input, output });
          answered.push(toolResult(part, { type: 'json', value: (output ?? null) as JSONValue }));
        }
      }
    }
    const calls = said.filter((part) => part.type === 'tool-call').length;
    if (calls === 0 || answered.length < calls || step >= maxSteps) return reply;
    messages.push({ role: 'assistant', content: said }, { role: 'tool', content: answered });
  }
}

function urlsOf(model: LanguageModelV3): Promise<LanguageModelV3['supportedUrls']> {
  let urls = supportedUrlsOf.get(model);
  if (!urls) supportedUrlsOf.set(model, (urls = Promise.resolve(model.supportedUrls)));
  return urls;
}

function declarationsOf(tools: ToolSet): Promise<Declarations> {
  let declared = declarations.get(tools);
  if (!declared) declarations.set(tools, (declared = prepareToolsAndToolChoice({ tools, toolChoice: undefined, activeTools: undefined })));
  return declared;
}

/** A call's arguments checked against its tool's input schema, with the SDK's errors when they fail. */
async function checkCall(call: LanguageModelV3ToolCall, tools: ToolSet | undefined): Promise<{ input: unknown } | { input: unknown; error: Error }> {
  let input: unknown = {};
  try {
    if (call.input.trim() !== '') input = JSON.parse(call.input);
  } catch (cause) {
    return { input: {}, error: new InvalidToolInputError({ toolName: call.toolName, toolInput: call.input, cause }) };
  }
  const tool = tools?.[call.toolName];
  if (!tool) return { input, error: new NoSuchToolError({ toolName: call.toolName, availableTools: Object.keys(tools ?? {}) }) };
  const checked = await asSchema(tool.inputSchema).validate?.(input);
  if (checked && !checked.success) return { input, error: new InvalidToolInputError({ toolName: call.toolName, toolInput: call.input, cause: TypeValidationError.wrap({ value: input, cause: checked.error }) }) };
  return { input: checked ? checked.value : input };
}

function toolResult(call: LanguageModelV3ToolCall, output: ToolResultPart['output']): ToolResultPart {
  return { type: 'tool-result', toolCallId: call.toolCallId, toolName: call.toolName, output };
}
