import { Agent, request } from 'node:http';
import { learnerQuestion, serviceHeaders } from './load.js';

/**
 * The kinds of turn a learner makes, the message that makes each on topic 5 of the sample course, and the model
 * calls it should cost: a learner's own question and a hint one (the tutor's reply), an answer two (the grader,
 * then the tutor). "banana" is never right, so that a session never completes however long it runs.
 */
export const turnKinds = {
  question: { message: learnerQuestion, calls: 1 },
  hint: { message: 'hint', calls: 1 },
  answer: { message: 'banana', calls: 2 },
} as const;

export type TurnKind = keyof typeof turnKinds;

/** An answer that holds every expected answer of topic 5's questions as whole words: right, by the grader. */
export const rightAnswer = 'string integer float 7';

export interface TimedTurn {
  kind: TurnKind;
  /** The HTTP status, 0 when the connection failed. */
  status: number;
  ms: number;
}

/** One turn over `node:http`, read to its last byte. */
export function postTurn(agent: Agent, url: string, sessionId: number, message: string): Promise<{ status: number; ms: number }> {
  const sent = performance.now();
  return new Promise((resolve) => {
    request(`${url}/api/sessions/${sessionId}/message`, { method: 'POST', agent, headers: serviceHeaders }, (response) => {
      response.on('data', () => {});
      response.on('end', () => resolve({ status: response.statusCode ?? 0, ms: performance.now() - sent }));
    })
      .on('error', () => resolve({ status: 0, ms: performance.now() - sent }))
      .end(JSON.stringify({ message }));
  });
}

/**
 * Learners, one per session, each sending its turns in `cycle` order, waiting for each answer and sending the next at
 * once, for `seconds` after they all started (or `turnsEach` turns); their first turns spread over `rampMs`, as
 * learners do not all press send in the same millisecond. Every turn is timed.
 */
export async function runLearners(
  load: { url: string; sessions: number[]; cycle: TurnKind[]; rampMs: number } & ({ seconds: number } | { turnsEach: number }),
): Promise<TimedTurn[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  const end = 'seconds' in load ? performance.now() + load.rampMs + load.seconds * 1000 : Infinity;
  const turnsEach = 'turnsEach' in load ? load.turnsEach : Infinity;
  const turns: TimedTurn[] = [];
  const learner = async (sessionId: number, index: number) => {
    await new Promise((resolve) => setTimeout(resolve, (index * load.rampMs) / load.sessions.length));
    for (let n = 0; n < turnsEach && performance.now() < end; n++) {
      const kind = load.cycle[n % load.cycle.length]!;
      turns.push({ kind, ...(await postTurn(agent, load.url, sessionId, turnKinds[kind].message)) });
    }
  };
  try {
    await Promise.all(load.sessions.map(learner));
  } finally {
    agent.destroy();
  }
  return turns;
}
