import type { HubEventType } from '../domain/hub-events.ts';

/** One event in one user's feed: `eventId` is that user's own sequence, strictly increasing, without gaps. */
export interface UserEvent {
  eventId: number;
  type: HubEventType;
  occurredAt: Date;
  data: unknown;
}

/** An event on its way into one user's feed. */
export interface UserEventEntry {
  userId: string;
  /** Names the fact: a second entry with the same key for the same user is dropped. */
  key: string;
  type: HubEventType;
  occurredAt: Date;
  data: unknown;
}

/** Told which users' feeds grew; `null` means "maybe any": the listener lost touch for a while. */
export type FeedListener = (userIds: readonly string[] | null) => void;

/**
 * Every user's feed of hub events, kept for a retention window so that a client that was away can catch up
 * (store-and-forward). Appends are announced to listeners in every process.
 */
export interface UserEventStore {
  /**
   * Appends entries to their users' feeds (each user's new entries in the order given) and announces it. In the
   * same transaction, each new entry is queued for delivery to its user's webhooks that chose its type.
   */
  append(entries: readonly UserEventEntry[]): Promise<void>;
  /** Events after `afterEventId`, oldest first. */
  read(userId: string, afterEventId: number, limit: number): Promise<UserEvent[]>;
  /** The last event id handed out to the user (0 before the first). */
  head(userId: string): Promise<number>;
  /** Resolves once listening; the returned function stops it. */
  listen(listener: FeedListener): Promise<() => Promise<void>>;
  /** Drops events older than `before`; returns how many. */
  prune(before: Date): Promise<number>;
}
