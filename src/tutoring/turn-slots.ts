import { AppError } from '../errors.js';

/**
 * A cap on the operations that call the LLM at once in this instance (LLM_MAX_CONCURRENCY). Beyond it a request
 * is refused with 503 and Retry-After rather than queued: a queue would only hide the overload behind timeouts.
 */
export function createTurnSlots(max: number) {
  let inUse = 0;
  let whenIdle: (() => void)[] = [];
  return {
    /** Takes a slot and returns the function that gives it back (calling it twice is harmless). */
    take(): () => void {
      if (inUse >= max) {
        throw new AppError('overloaded', 'The tutor is answering as many learners as it can; please try again in a moment.', {
          retryAfterSeconds: 2,
        });
      }
      inUse++;
      let given = false;
      return () => {
        if (given) return;
        given = true;
        inUse--;
        if (inUse === 0) {
          whenIdle.forEach((resolve) => resolve());
          whenIdle = [];
        }
      };
    },
    /** Resolves once no slot is taken: on shutdown, turns whose client already left must still finish and save. */
    idle(): Promise<void> {
      return inUse === 0 ? Promise.resolve() : new Promise((resolve) => whenIdle.push(resolve));
    },
  };
}

export type TurnSlots = ReturnType<typeof createTurnSlots>;
