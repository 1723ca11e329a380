/** Messages between the hub and the thread that owns its PGlite database (pglite-thread.ts). */
export type ThreadRequest =
  | { id: number; op: 'query'; tx: number | undefined; sql: string; params: unknown[] }
  | { id: number; op: 'begin' }
  | { id: number; op: 'end'; tx: number; commit: boolean }
  | { id: number; op: 'listen'; channel: string }
  | { id: number; op: 'unlisten'; listener: number }
  | { id: number; op: 'close' };

export type ThreadReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: SerializedError };

/** A NOTIFY on a channel someone LISTENs to, sent unasked. */
export interface ThreadNotification {
  listener: number;
  payload: string;
}

/** A database error as plain data: structured cloning would drop its SQLSTATE and details. */
export type SerializedError = Record<string, unknown> & { message: string };

const FIELDS = ['name', 'code', 'detail', 'hint', 'severity', 'constraint', 'table', 'column', 'schema', 'position'];

export function serializeError(error: unknown): SerializedError {
  const source = (error ?? {}) as Record<string, unknown>;
  const serialized: SerializedError = { message: error instanceof Error ? error.message : String(error) };
  for (const field of FIELDS) if (source[field] !== undefined) serialized[field] = source[field];
  return serialized;
}

export function deserializeError({ message, ...fields }: SerializedError): Error {
  return Object.assign(new Error(message), fields);
}
