import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LlmConfig } from '../config.js';
import { createAiSdkModel } from './ai-sdk-model.js';
import type { LanguageModel } from './llm.js';
import { proxyAwareFetch } from './proxy-fetch.js';

/** Any server that speaks OpenAI's chat-completions protocol: OpenAI, Ollama, vLLM, LM Studio. */
export function createOpenAiCompatibleModel(config: Extract<LlmConfig, { provider: 'openai' }>): LanguageModel {
  const provider = createOpenAICompatible({
    name: 'openai',
    baseURL: config.baseUrl,
    apiKey: config.apiKey,
    supportsStructuredOutputs: true,
    includeUsage: true,
    fetch: proxyAwareFetch(config.proxy),
  });
  return createAiSdkModel({ provider: 'openai', modelOf: (id) => provider.chatModel(id), settings: config });
}
