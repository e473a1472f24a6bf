/**
 * An LLM thread that stops (exits, as a crash would) on a call whose learner message is "stop", and otherwise
 * answers every call with one line of text: what the service's thread does when its LLM thread stops.
 */
import { parentPort } from 'node:worker_threads';
import type { ThreadAnswer, ThreadCall } from '../../src/llm/llm-thread-protocol.js';

parentPort!.on('message', (call: ThreadCall) => {
  if (call.type === 'respond' && call.request.learnerMessage === 'stop') process.exit(3);
  const answer: ThreadAnswer = {
    id: call.id,
    type: 'events',
    events: [
      { type: 'text', text: 'a thread that did not stop' },
      { type: 'finish', usage: { promptTokens: 1, outputTokens: 1, cachedTokens: 0 }, finishReason: 'STOP' },
    ],
    end: true,
  };
  parentPort!.postMessage(answer);
});
