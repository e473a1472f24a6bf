import type { LearnerApi } from '../../../src/client/api.js';
import type { PendingTurn } from '../../../src/client/deliver-turn.js';
import type { Turn } from '../../../src/client/types.js';

// A message sent and not yet answered is kept in the tab's storage until its reply is saved, so that a reload picks
// its reply up where it was (the key makes sure it is answered once).
const pendingKey = 'ai-tutor.pending-turn';

export const pendingTurn = (sessionId: number): PendingTurn | undefined => {
  const stored = sessionStorage.getItem(pendingKey);
  const pending = stored ? (JSON.parse(stored) as PendingTurn) : undefined;
  return pending?.sessionId === sessionId ? pending : undefined;
};

/** Sends the message and streams its reply to `show`, keeping it across a reload until the reply is saved. */
export async function deliverKept(api: LearnerApi, pending: PendingTurn, show: (text: string) => void): Promise<Turn> {
  sessionStorage.setItem(pendingKey, JSON.stringify(pending));
  try {
    return await api.deliver(pending, show);
  } finally {
    sessionStorage.removeItem(pendingKey);
  }
}
