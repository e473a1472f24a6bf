import type { Logger } from 'pino';
import { AppError } from '../errors.js';
import { errorFacts } from '../llm/llm-error.js';
import type { PassRule } from './completion.js';
import { collectReply, type CollectedReply } from './reply.js';
import type { ReplyRequest, TutorEngine } from './tutor-engine.js';
import type { TurnSlots } from './turn-slots.js';
import type { TutorDeps } from './tutor.js';

/** What a turn works with: the dependencies, the pass rule, and `ask`, the guarded call to the tutor. */
export type TutorContext = TutorDeps & {
  rule: PassRule;
  slots: TurnSlots;
  ask: (request: ReplyRequest, onText?: (text: string) => void) => Promise<CollectedReply>;
};

export function createAsk({ engine, config, log }: TutorDeps): TutorContext['ask'] {
  /** Asks the tutor for one reply. It is called outside any transaction: no lock is held while it thinks. */
  return async (request, onText) => {
    const reply = await guardLlm(log, engine, () =>
      collectReply(engine.reply({ ...request, stream: onText !== undefined }), { marker: config.completionMarker, turn: request.turn, onText }),
    );
    if (reply.fallback === 'question') log.debug({ provider: engine.provider }, 'the tutor model asked its question without text');
    else if (reply.fallback) log.warn({ provider: engine.provider, finishReason: reply.finishReason, fallback: reply.fallback }, 'the tutor model gave no text');
    return reply;
  };
}

/** Turns a failed model call into a 503 the client can retry; nothing of the turn has been written. */
export async function guardLlm<T>(log: Logger, engine: TutorEngine, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof AppError) throw error;
    log.error({ provider: engine.provider, ...(error instanceof Error ? errorFacts(error) : { name: typeof error }) }, 'LLM call failed');
    throw new AppError('dependency_unavailable', 'The tutor is unavailable right now; nothing was saved, please try again.', {
      retryAfterSeconds: 5,
    });
  }
}
