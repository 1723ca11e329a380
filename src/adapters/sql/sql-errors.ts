/** PostgreSQL reports errors by SQLSTATE; both pg and PGlite expose it as `code`. */
export function isUniqueViolation(error: unknown): boolean {
  return sqlState(error) === '23505';
}

export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** SQLSTATE classes and socket errors that mean "the database cannot be reached right now". */
const UNAVAILABLE_STATES = /^(08|57P0[1-3]|53300)/;
const UNAVAILABLE_SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE']);

/**
 * Whether a consumer's batch failed for a reason that trying again cannot cure: the data is wrong (SQLSTATE class
 * 22, data exception) or breaks a constraint (class 23, e.g. a foreign key to a row this database does not have).
 * Anything else (the database away, a deadlock, a bug) is retried in place, so nothing is set aside by mistake.
 */
export function isPermanentDataError(error: unknown): boolean {
  const state = sqlState(error);
  return state !== undefined && /^(22|23)/.test(state);
}

/** True for errors a retry later can cure: the server is down, restarting, or out of connections. */
export function isDatabaseUnavailable(error: unknown): boolean {
  // Wrappers (the migrator's error, Node's AggregateError for multi-address connects) carry the real cause.
  const { cause, errors } = (error ?? {}) as { cause?: unknown; errors?: unknown };
  if (cause !== undefined && isDatabaseUnavailable(cause)) return true;
  if (Array.isArray(errors) && errors.some(isDatabaseUnavailable)) return true;
  const state = sqlState(error);
  if (state && (UNAVAILABLE_STATES.test(state) || UNAVAILABLE_SOCKET_ERRORS.has(state))) return true;
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    message,
  );
}
