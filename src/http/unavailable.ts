/**
 * Whether a thrown error means that something the service depends on (the database) cannot be
 * reached or cannot take the request right now — a 503 "try again in a moment", not a bug. The
 * transaction it happened in rolled back, so nothing was half-written.
 *
 * Recognised by shape, so the HTTP layer needs no adapter: network errno codes (the server is
 * down or unreachable), PostgreSQL SQLSTATEs of class 08 (connection exception), 53 (insufficient
 * resources), 57P01–57P03 (shutting down, cannot connect now), 3D000 (the database is gone),
 * 40001/40P01 (serialization failure, deadlock: retryable), SQLite's busy/locked/I/O/full codes,
 * and the messages node-postgres uses for a connection that died or never came.
 */
const ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const SQLSTATE = new Set(['57P01', '57P02', '57P03', '3D000', '40001', '40P01']);
const SQLITE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|PROTOCOL)/;
const PG_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Connection ended unexpectedly',
  'the database system is',
];

export function isUnavailableError(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 3) return false;
  const e = error as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string') {
    const code = e.code;
    if (ERRNO.has(code) || SQLSTATE.has(code) || SQLITE.test(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code) && (code.startsWith('08') || code.startsWith('53'))) return true;
  }
  if (typeof e.message === 'string' && PG_MESSAGES.some((m) => (e.message as string).includes(m))) return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => isUnavailableError(inner, depth + 1))) return true;
  return e.cause !== undefined && isUnavailableError(e.cause, depth + 1);
}
