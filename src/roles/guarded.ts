import { UnprocessableRecords, type RejectingHandler } from '../app/unprocessable-records.ts';
import type { Hub } from '../main.ts';
import type { Logger } from '../ports/logger.ts';
import type { BatchHandler } from '../ports/message-bus.ts';

/** A consumer group's handler that sets aside the records it cannot apply, and what counts them. */
export interface Guarded {
  handler: BatchHandler;
  unprocessable: UnprocessableRecords;
}

/**
 * Wraps a consumer group's handler so that it sets aside the records it cannot apply (topic dead_letters, through
 * the outbox) instead of retrying them forever; errors that may go away (the database unavailable) are retried.
 */
export function guarded(hub: Hub, group: string, log: Logger, handler: RejectingHandler): Guarded {
  const unprocessable = new UnprocessableRecords({
    group,
    append: (records) => hub.store.outbox.append(records),
    isTransient: (error) => !hub.isPermanent(error),
    log,
  });
  return { handler: unprocessable.guard(handler), unprocessable };
}
