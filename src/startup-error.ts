/**
 * A start-up failure the operator fixes: its message is one line naming what to change (a variable, a host, a
 * port, a directory). The entry point prints it alone, with the cause's stack only under DEBUG=true.
 */
export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StartupError';
  }
}
