import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { Logger } from 'pino';
import type { LlmConfig } from '../config.js';
import { createAiSdkTutor } from './ai-sdk-tutor.js';
import { createHttpFetch } from './http-fetch.js';
import type { LlmProvider } from './llm.js';

/** Any server that speaks OpenAI's chat-completions protocol: OpenAI, Ollama, vLLM, LM Studio. */
export function createOpenAiCompatibleTutor(config: Extract<LlmConfig, { provider: 'openai' }>, log: Logger): LlmProvider {
  const provider = createOpenAICompatible({
    name: 'openai',
    baseURL: config.baseUrl,
    apiKey: config.apiKey,
    supportsStructuredOutputs: true,
    includeUsage: true,
    fetch: createHttpFetch(),
  });
  return createAiSdkTutor({
    name: 'openai',
    model: provider.chatModel(config.model),
    graderModel: provider.chatModel(config.graderModel),
    settings: config,
    log,
  });
}
