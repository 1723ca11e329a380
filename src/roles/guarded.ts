import { UnprocessableRecords, type RejectingHandler } from '../app/unprocessable-records.ts';
import type { Hub } from '../main.ts';
import type { Logger } from '../ports/logger.ts';
import type { BatchHandler } from '../ports/message-bus.ts';

/** A consumer group's handler that sets aside the records it cannot apply instead of retrying them forever. */
export function guarded(hub: Hub, group: string, log: Logger, handler: RejectingHandler): BatchHandler {
  const unprocessable = new UnprocessableRecords({
    group,
    append: (records) => hub.store.outbox.append(records),
    isTransient: (error) => !hub.isPermanent(error),
    log,
  });
  return unprocessable.guard(handler);
}
