import type { Config } from '../config.js';
import { loadLanguageModel } from '../llm/language-model.js';
import { judgePrompt, judgeSystem, judgmentSchema, type Judgment } from './judge-rubric.js';

export interface Judge {
  provider: string;
  model: string;
  /** Scores one tutor reply to a wrong answer. */
  score(input: { question: string; expectedAnswer: string; learnerAnswer: string; reply: string }): Promise<Judgment>;
}

/**
 * The judge model, on the provider `judgeConfig` configures (its key, base URL, timeouts and retries), or undefined
 * when no EVAL_JUDGE_MODEL is set.
 */
export async function createJudge(judgeConfig: Config): Promise<Judge | undefined> {
  const { llm } = judgeConfig;
  // EVAL_JUDGE_PROVIDER is gemini or openai, never offline: the second test only narrows the type.
  if (!judgeConfig.evaluation.judgeModel || llm.provider === 'offline') return undefined;
  const model = await loadLanguageModel(llm);
  return {
    provider: llm.provider,
    model: llm.model,
    score: async (input) =>
      (await model.generateObject({ model: llm.model, system: judgeSystem, prompt: judgePrompt(input), schema: judgmentSchema, temperature: 0 }))
        .object,
  };
}
