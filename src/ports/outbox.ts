import type { BusRecord, Subscription } from './message-bus.ts';

/**
 * The outbox holds records written in the same transaction as the state they announce.
 * The relay drains it in order per partition and deletes what the bus has acknowledged.
 */
export interface Outbox {
  drain(handler: (records: BusRecord[]) => Promise<void>): Subscription;
}
