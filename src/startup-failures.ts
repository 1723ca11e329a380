import { DataDirInUse } from './adapters/sql/pglite/data-dir-lock.ts';
import { isDatabaseUnavailable, sqlState } from './adapters/sql/sql-errors.ts';
import type { Config } from './config.ts';
import { redactedUrl } from './redacted-url.ts';

/**
 * Failures a person fixes with a setting or by starting a service, said in one line with the fix. The CLI prints
 * that line alone: a stack trace would bury it, and helps only with failures nobody foresaw, which keep theirs.
 */
export function startupFailure(error: unknown, config: Config): string | undefined {
  if (error instanceof DataDirInUse) return error.message;
  const { code, syscall, address, port } = error as NodeJS.ErrnoException & { address?: string; port?: number };
  if (syscall === 'listen') {
    if (code === 'EADDRINUSE') return `port ${port} on ${address} is in use by another process: stop that one, or set PORT to a free port (PORT=0 picks one)`;
    if (code === 'EADDRNOTAVAIL') return `HOST=${address} is not an address of this machine: set HOST to one of its addresses, or 0.0.0.0 for all of them`;
    if (code === 'EACCES') return `port ${port} is reserved for privileged processes: set PORT to 1024 or above`;
  }
  if (config.databaseUrl) {
    const database = `the PostgreSQL database at ${redactedUrl(config.databaseUrl)} (DATABASE_URL)`;
    const cause = innermost(error);
    const reason = cause instanceof Error ? cause.message : String(cause);
    if (isDatabaseUnavailable(error)) return `${database} is unreachable (${reason}): start it, or fix DATABASE_URL`;
    // Class 28: the user or password is wrong; 3D000: no such database.
    if (/^(28|3D)/.test(sqlState(cause) ?? '')) return `${database} refused the connection (${reason}): fix DATABASE_URL`;
  }
  return undefined;
}

/** What a wrapped error stands for: the migrator wraps the driver's error, Node's multi-address connect an AggregateError. */
function innermost(error: unknown): unknown {
  const { cause, errors } = (error ?? {}) as { cause?: unknown; errors?: unknown };
  if (cause !== undefined) return innermost(cause);
  if (Array.isArray(errors) && errors.length > 0) return innermost(errors[0]);
  return error;
}
