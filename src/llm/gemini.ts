import { createGoogleGenerativeAI } from '@ai-sdk/google';
import type { LlmConfig } from '../config.js';
import { createAiSdkModel } from './ai-sdk-model.js';
import type { LanguageModel } from './llm.js';
import { proxyAwareFetch } from './proxy-fetch.js';

const harmCategories = [
  'HARM_CATEGORY_HARASSMENT',
  'HARM_CATEGORY_HATE_SPEECH',
  'HARM_CATEGORY_SEXUALLY_EXPLICIT',
  'HARM_CATEGORY_DANGEROUS_CONTENT',
] as const;

/** Google Gemini through the AI SDK's google provider, which speaks the Gemini REST API (`/v1beta`). */
export function createGeminiModel(config: Extract<LlmConfig, { provider: 'gemini' }>): LanguageModel {
  const google = createGoogleGenerativeAI({ apiKey: config.apiKey, baseURL: `${config.baseUrl}/v1beta`, fetch: proxyAwareFetch(config.proxy) });
  return createAiSdkModel({
    provider: 'gemini',
    modelOf: (id) => google(id),
    settings: config,
    providerOptions: {
      google: { safetySettings: harmCategories.map((category) => ({ category, threshold: config.safetyThreshold })) },
    },
  });
}
