/** What a database error means for the caller, whichever database raised it (SQLite's codes, PostgreSQL's SQLSTATEs). */

// PostgreSQL's "the server cannot take you now" classes (admin shutdown, starting up, too many
// connections), and what pg and Node say when the server cannot be reached or stops answering.
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', 'SQLITE_BUSY']);
const UNAVAILABLE_MESSAGES = /^(timeout exceeded when trying to connect|Connection terminated|Query read timeout)/;

/**
 * True when the database could not serve the query at all (unreachable, overloaded, shutting
 * down, or on SQLite locked by another process past the busy timeout): a 503 to try again, not a
 * fault of the request nor a bug.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (e === null || typeof e !== 'object') return false;
  return (typeof e.code === 'string' && UNAVAILABLE_CODES.has(e.code)) || (typeof e.message === 'string' && UNAVAILABLE_MESSAGES.test(e.message));
}

/** True when a write failed on a UNIQUE constraint, on SQLite or PostgreSQL. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

export function isForeignKeyViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503';
}
