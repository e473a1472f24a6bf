import { createGoogleGenerativeAI } from '@ai-sdk/google';
import type { Logger } from 'pino';
import type { LlmConfig } from '../config.js';
import { createAiSdkTutor } from './ai-sdk-tutor.js';
import { createHttpFetch } from './http-fetch.js';
import type { LlmProvider } from './llm.js';

const harmCategories = [
  'HARM_CATEGORY_HARASSMENT',
  'HARM_CATEGORY_HATE_SPEECH',
  'HARM_CATEGORY_SEXUALLY_EXPLICIT',
  'HARM_CATEGORY_DANGEROUS_CONTENT',
] as const;

/** Google Gemini through the AI SDK's google provider, which speaks the Gemini REST API (`/v1beta`). */
export function createGeminiTutor(config: Extract<LlmConfig, { provider: 'gemini' }>, log: Logger): LlmProvider {
  const google = createGoogleGenerativeAI({ apiKey: config.apiKey, baseURL: `${config.baseUrl}/v1beta`, fetch: createHttpFetch() });
  return createAiSdkTutor({
    name: 'gemini',
    model: google(config.model),
    graderModel: google(config.graderModel),
    settings: config,
    providerOptions: {
      google: { safetySettings: harmCategories.map((category) => ({ category, threshold: config.safetyThreshold })) },
    },
    log,
  });
}
