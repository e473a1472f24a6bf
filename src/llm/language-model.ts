import type { LlmConfig } from '../config.js';
import type { LanguageModel } from './llm.js';

/** The model adapter of a configured provider, its modules loaded only when it is used. */
export async function loadLanguageModel(llm: Exclude<LlmConfig, { provider: 'offline' }>): Promise<LanguageModel> {
  if (llm.provider === 'gemini') return import('./gemini.js').then(({ createGeminiModel }) => createGeminiModel(llm));
  return import('./openai-compatible.js').then(({ createOpenAiCompatibleModel }) => createOpenAiCompatibleModel(llm));
}
