import type { BusRecord, Subscription } from './message-bus.ts';

/**
 * The outbox holds records written in the same transaction as the state they announce (the stores write them).
 * The relay drains it in order per partition and deletes what the bus has acknowledged.
 */
export interface Outbox {
  /** Appends records that announce no state change of their own (dead letters), in a transaction of their own. */
  append(records: readonly BusRecord[]): Promise<void>;
  drain(handler: (records: BusRecord[]) => Promise<void>): Subscription;
}
