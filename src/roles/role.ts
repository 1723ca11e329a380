import type { RejectingHandler } from '../app/unprocessable-records.ts';
import type { BatchHandler, MessageBus } from '../ports/message-bus.ts';

/** A running role: one small start function returns this. */
export interface RunningRole {
  name: string;
  /** Stops taking new work and finishes or releases what is in hand. */
  stop(): Promise<void>;
}

/** What a role that consumes from the bus gets: the bus (opened on first use) and a guard for its handler. */
export interface Consumer {
  openBus(): Promise<MessageBus>;
  /** The handler of consumer group `group`, setting aside the records it cannot apply (UnprocessableRecords). */
  guard(group: string, handler: RejectingHandler): BatchHandler;
}
