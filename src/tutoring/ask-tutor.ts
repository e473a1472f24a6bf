import type { Logger } from 'pino';
import { AppError } from '../errors.js';
import type { LlmProvider, TutorRequest } from '../llm/llm.js';
import { errorFacts } from '../llm/llm-error.js';
import type { PassRule } from './completion.js';
import { collectReply, type CollectedReply } from './reply.js';
import type { TurnSlots } from './turn-slots.js';
import type { TutorDeps } from './tutor.js';

/** What a turn works with: the dependencies, the pass rule, and `ask`, the guarded call to the tutor model. */
export type TutorContext = TutorDeps & {
  rule: PassRule;
  slots: TurnSlots;
  ask: (request: TutorRequest, onText?: (text: string) => void) => Promise<CollectedReply>;
};

export function createAsk({ llm, config, log }: TutorDeps): TutorContext['ask'] {
  /** Asks the tutor model. It is called outside any transaction: no lock is held while it thinks. */
  return async (request, onText) => {
    const reply = await guardLlm(log, llm, () =>
      collectReply(llm.respond({ ...request, stream: onText !== undefined }), { marker: config.completionMarker, turn: request.turn, onText }),
    );
    if (reply.fallback) {
      log.warn({ provider: llm.name, finishReason: reply.finishReason, fallback: reply.fallback }, 'the tutor model gave no text');
    }
    return reply;
  };
}

/** Turns a failed LLM call into a 503 the client can retry; nothing of the turn has been written. */
export async function guardLlm<T>(log: Logger, llm: LlmProvider, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof AppError) throw error;
    log.error({ provider: llm.name, ...describeLlmError(error) }, 'LLM call failed');
    throw new AppError('dependency_unavailable', 'The tutor is unavailable right now; nothing was saved, please try again.', {
      retryAfterSeconds: 5,
    });
  }
}

/** What to log of an LLM error: the kind, the status and the provider's message are enough to act on. */
function describeLlmError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: String(error) };
  const { name, message, ...facts } = errorFacts(error);
  return { errorName: name, errorMessage: message, ...facts };
}
