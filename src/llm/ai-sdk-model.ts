import type { LanguageModelV3 } from '@ai-sdk/provider';
import { generateText, Output, streamText, tool, zodSchema, type LanguageModelUsage, type ModelMessage, type ToolSet } from 'ai';
import type { ModelSettings } from '../config.js';
import type { ChatMessage, FunctionDeclaration, LanguageModel, ModelEvent, TextRequest, TokenUsage } from './llm.js';

type ProviderOptions = Parameters<typeof generateText>[0]['providerOptions'];

export interface AiSdkModelOptions {
  provider: LanguageModel['provider'];
  /** The provider's model of that id. */
  modelOf: (id: string) => LanguageModelV3;
  settings: Pick<ModelSettings, 'temperature' | 'maxOutputTokens' | 'maxRetries' | 'timeoutMs'>;
  providerOptions?: ProviderOptions;
}

/**
 * A language model the Vercel AI SDK drives (Gemini, OpenAI-compatible servers), through its public API:
 * `streamText` when the caller reads the reply as it arrives, `generateText` otherwise, one model call each (the
 * functions are declared without `execute`, so the SDK never calls the model again with their results).
 */
export function createAiSdkModel({ provider, modelOf, settings, providerOptions }: AiSdkModelOptions): LanguageModel {
  const models = new Map<string, LanguageModelV3>();
  const model = (id: string) => models.get(id) ?? models.set(id, modelOf(id)).get(id)!;
  const callSettings = {
    temperature: settings.temperature,
    maxOutputTokens: settings.maxOutputTokens,
    maxRetries: settings.maxRetries,
    timeout: settings.timeoutMs,
    providerOptions,
  };
  // Declarations wrapped once per set: the SDK converts a wrapped schema to JSON Schema once and keeps it.
  const toolSets = new WeakMap<FunctionDeclaration[], ToolSet>();
  const toolsOf = (functions: FunctionDeclaration[] | undefined) => {
    if (!functions?.length) return undefined;
    let tools = toolSets.get(functions);
    if (!tools) {
      tools = Object.fromEntries(functions.map((f) => [f.name, tool({ description: f.description, inputSchema: zodSchema(f.parameters) })]));
      toolSets.set(functions, tools);
    }
    return tools;
  };

  return {
    provider,

    async *generateText(request: TextRequest): AsyncGenerator<ModelEvent> {
      const call = { ...callSettings, model: model(request.model), system: request.system, messages: modelMessages(request.messages), tools: toolsOf(request.functions) };
      if (!request.stream) {
        const result = await generateText(call);
        for (const part of result.content) {
          if (part.type === 'text' && part.text) yield { type: 'text', text: part.text };
          else if (part.type === 'tool-call') yield callEvent(part);
        }
        yield { type: 'finish', usage: tokenUsage(result.usage), finishReason: result.rawFinishReason ?? result.finishReason };
        return;
      }
      // Errors arrive as `error` parts; the SDK's default handler would print them, the request's body included.
      const result = streamText({ ...call, onError: () => {} });
      for await (const part of result.fullStream) {
        if (part.type === 'text-delta') yield { type: 'text', text: part.text };
        else if (part.type === 'tool-call') yield callEvent(part);
        else if (part.type === 'error') throw part.error;
        else if (part.type === 'abort') throw new Error(`the ${provider} call was aborted: ${part.reason ?? 'deadline exceeded'}`);
        else if (part.type === 'finish') yield { type: 'finish', usage: tokenUsage(part.totalUsage), finishReason: part.rawFinishReason ?? part.finishReason };
      }
    },

    async generateObject(request) {
      const result = await generateText({
        ...callSettings,
        temperature: request.temperature ?? callSettings.temperature,
        model: model(request.model),
        system: request.system,
        prompt: request.prompt,
        output: Output.object({ schema: zodSchema(request.schema) }),
      });
      return { object: result.output, usage: tokenUsage(result.usage) };
    },
  };
}

function callEvent(part: { toolName: string; input: unknown; invalid?: boolean; error?: unknown }): ModelEvent {
  if (!part.invalid) return { type: 'call', name: part.toolName, input: part.input };
  const error = part.error instanceof Error ? part.error.message : String(part.error ?? 'invalid call');
  return { type: 'call', name: part.toolName, input: part.input, error };
}

/** The conversation as the SDK takes it: a past function call is replayed with the result it was given. */
function modelMessages(messages: ChatMessage[]): ModelMessage[] {
  return messages.flatMap((message, index): ModelMessage[] => {
    if (message.role === 'user') return [{ role: 'user', content: message.text }];
    if (!message.calls?.length) return [{ role: 'assistant', content: message.text }];
    const calls = message.calls.map((call, n) => ({ ...call, id: `call_${index}_${n}` }));
    return [
      {
        role: 'assistant',
        content: [
          ...(message.text ? [{ type: 'text' as const, text: message.text }] : []),
          ...calls.map((call) => ({ type: 'tool-call' as const, toolCallId: call.id, toolName: call.name, input: call.input })),
        ],
      },
      {
        role: 'tool',
        content: calls.map((call) => ({
          type: 'tool-result' as const,
          toolCallId: call.id,
          toolName: call.name,
          output: { type: 'json' as const, value: call.result as never },
        })),
      },
    ];
  });
}

function tokenUsage(usage: LanguageModelUsage): TokenUsage {
  return {
    promptTokens: usage.inputTokens ?? 0,
    outputTokens: usage.outputTokens ?? 0,
    cachedTokens: usage.inputTokenDetails?.cacheReadTokens ?? 0,
  };
}

/** What the AI SDK hands its warning logger (the `AI_SDK_LOG_WARNINGS` global). */
interface SdkWarnings {
  warnings: { type: string; message?: string; feature?: string; setting?: string }[];
  provider: string;
  model: string;
}

// Distinct warnings logged at most: a warning repeats on every call of the kind that causes it.
const distinctWarningsLogged = 100;

/**
 * Sends the AI SDK's warnings (a setting a provider ignores, a Gemini 3 model replaying function calls without
 * their thought signatures, which this service does not keep) to the service's log, once each, instead of the
 * console on every call: the SDK's documented `AI_SDK_LOG_WARNINGS` global.
 */
export function logSdkWarnings(log: { warn(facts: object, message: string): void }): void {
  const seen = new Set<string>();
  (globalThis as { AI_SDK_LOG_WARNINGS?: unknown }).AI_SDK_LOG_WARNINGS = ({ warnings, provider, model }: SdkWarnings) => {
    for (const warning of warnings) {
      const text = warning.message ?? warning.feature ?? warning.setting ?? warning.type;
      const key = `${provider} ${model} ${warning.type} ${text}`;
      if (seen.has(key) || seen.size >= distinctWarningsLogged) continue;
      seen.add(key);
      log.warn({ provider, model, warning: warning.type }, `AI SDK: ${text}`);
    }
  };
}
