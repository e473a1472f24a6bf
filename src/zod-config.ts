import { z } from 'zod';

/**
 * Zod without its memoizer: the memoizer exists to parse input that contains reference cycles, and nothing
 * this service parses can hold one (JSON request bodies, environment variables, the model's JSON answers, the
 * prompts it builds itself). With it, every parse of a container under a recursive schema allocates weak maps
 * of what it has seen, and each schema walks its whole tree on its first parse. The AI SDK builds a new
 * `z.array(modelMessageSchema)` for every LLM call (its message schema is recursive through JSON values), so
 * each call paid that walk and those maps: about a third of `generateText`'s CPU time and half the garbage it
 * left for full collections (BENCHMARKS.md, half-rate latency).
 *
 * Zod reads the memoizer when a schema is constructed, and installs its own when none is set: this module has to
 * run before any schema is built, which is why `config.ts` imports it first.
 */
z.config({
  memoizer: {
    attach() {},
    guard() {},
    alloc: (_schema, _payload, empty) => empty,
  },
});
