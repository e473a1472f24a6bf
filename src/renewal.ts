/**
 * Calls `renew` every `intervalMs` until the returned function is called: how a long operation keeps a lease that
 * lapses soon after it stops (a crash). A renewal that fails (the database away for a moment) is tried again at the
 * next tick; one still running when the next is due is not doubled.
 */
export function keepRenewing(renew: () => Promise<unknown>, intervalMs: number, onError: (error: unknown) => void): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    renew()
      .catch(onError)
      .finally(() => (running = false));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
