import type { HubEvent, HubEventType } from '../domain/hub-events.ts';

/** One event in one user's feed: `eventId` is that user's own sequence, strictly increasing, without gaps. */
export interface UserEvent {
  eventId: number;
  type: HubEventType;
  occurredAt: Date;
  data: unknown;
}

/** Where a reader of feeds stands: the events of `userId` after `afterEventId`. */
export interface FeedCursor {
  userId: string;
  afterEventId: number;
}

/** Told which users' feeds grew; `null` means "maybe any": the listener lost touch for a while. */
export type FeedListener = (userIds: readonly string[] | null) => void;

/**
 * Every user's feed of hub events, kept for a retention window so that a client that was away can catch up
 * (store-and-forward). An event is stored once; each user in its audience gets it under their next event id.
 * Appends are announced to listeners in every process.
 */
export interface UserEventStore {
  /**
   * Stores the events (an event whose key is stored already is skipped: it was appended before) and appends each
   * new one to the feed of every user in its audience, in the order given; in the same transaction, queues it for
   * the webhooks of those users that chose its type, and announces the append. Returns the ids of the
   * conversations it does not know, whose events it skipped.
   */
  append(events: readonly HubEvent[]): Promise<string[]>;
  /** For each cursor, up to `limit` events after it, oldest first: one read for many readers. */
  read(cursors: readonly FeedCursor[], limit: number): Promise<Map<FeedCursor, UserEvent[]>>;
  /** The last event id handed out to the user (0 before the first). */
  head(userId: string): Promise<number>;
  /** Resolves once listening; the returned function stops it. */
  listen(listener: FeedListener): Promise<() => Promise<void>>;
  /** Drops events older than `before` (each user keeps where their ids go on from); returns how many. */
  prune(before: Date): Promise<number>;
}
