// SQLSTATE classes and codes that mean "the database is away or overloaded", not "the statement is wrong":
// connection exceptions (08), operator intervention (57: shutdown, restart, a statement or an idle transaction cut
// by its timeout) and insufficient resources (53: too many connections, out of memory or disk).
const unavailableStates = /^(08|53|57)/;
const unavailableStatesExact = new Set(['25P03']); // idle_in_transaction_session_timeout

// Network errors of the driver's socket.
const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

// What `pg` and `pg-pool` raise without a code when a connection dies, times out or cannot be had.
const driverMessages = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'is not queryable',
  'Client was closed and is not queryable',
  'Cannot use a pool after calling end on the pool',
];

/**
 * Whether a failed query failed because the database could not be reached or answer in time (the request may be
 * retried once it is back), as opposed to a bug or a constraint. Looks through wrappers (Drizzle's query error).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (networkCodes.has(code) || unavailableStates.test(code) || unavailableStatesExact.has(code))) return true;
    if (driverMessages.some((message) => current instanceof Error && current.message.includes(message))) return true;
  }
  return false;
}
