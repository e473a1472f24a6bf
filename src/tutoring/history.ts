/**
 * Where the history sent to the model starts, among a session's `total` conversation messages: it holds at
 * most `max` of them. The start moves in steps of half the window rather than one message per turn, so the
 * beginning of the prompt stays identical for several turns and Gemini's implicit caching can reuse it.
 */
export function historyWindowStart(total: number, max: number): number {
  if (total <= max) return 0;
  const step = Math.ceil(max / 2);
  return Math.ceil((total - max) / step) * step;
}

/**
 * Cuts the newest messages (oldest first, the last `recent.length` of `total`) to the window, and starts
 * it at a tutor message, so that the history never opens with half of a learner–tutor exchange.
 */
export function historyWindow<T extends { role: string }>(recent: T[], total: number, max: number): T[] {
  const dropped = historyWindowStart(total, max) - (total - recent.length);
  const window = recent.slice(Math.max(0, dropped));
  const firstTutorMessage = window.findIndex((message) => message.role === 'assistant');
  return firstTutorMessage > 0 ? window.slice(firstTutorMessage) : window;
}
