import type { FeedCursor, UserEvent, UserEventStore } from '../ports/user-event-store.ts';

/** Where a live session's events go (a WebSocket connection, at the HTTP edge). */
export interface LiveSink {
  /** The session starts after event `afterEventId`: called once, before any event. */
  started(afterEventId: number): void;
  /** Sends one event; returns false when the client cannot keep up and the session should end. */
  send(event: UserEvent): boolean;
  /** Events `from`..`to` were dropped from the feed (older than the retention window) before this client got them. */
  gap(from: number, to: number): void;
}

/** A read's starting point for one session, and which of its resumes it belongs to. */
interface ReadCursor extends FeedCursor {
  epoch: number;
}

const PAGE = 500;
const RETRY_MS = 1_000;

/**
 * Live delivery of users' feeds to connected clients, in every API process: a session first replays what its
 * client missed, then follows the feed as it grows. Appends anywhere are announced (LISTEN/NOTIFY); each
 * announcement makes the sessions of those users due, and one read fetches what every due session is missing
 * (a message to a 100-member group is one read, not a hundred), so order is the feed's and nothing is sent twice.
 */
export class LiveEvents {
  readonly #feeds: UserEventStore;
  readonly #sessions = new Map<string, Set<LiveSession>>();
  readonly #due = new Set<LiveSession>();
  #reading = false;
  #unlisten: (() => Promise<void>) | undefined;

  constructor(feeds: UserEventStore) {
    this.#feeds = feeds;
  }

  async start(): Promise<void> {
    this.#unlisten = await this.#feeds.listen((userIds) => {
      const sessions = userIds === null ? [...this.#sessions.values()] : userIds.map((id) => this.#sessions.get(id));
      for (const set of sessions) for (const session of set ?? []) this.#due.add(session);
      this.#pump();
    });
  }

  async stop(): Promise<void> {
    await this.#unlisten?.();
    this.#unlisten = undefined;
  }

  /**
   * Opens a session that sends every event after `afterEventId` (or, without one, every event from now on).
   * Resolves with the session and the id it starts after.
   */
  async open(userId: string, afterEventId: number | undefined, sink: LiveSink): Promise<LiveSession> {
    const start = afterEventId ?? (await this.#feeds.head(userId));
    const session = new LiveSession(userId, start, sink, {
      due: () => {
        this.#due.add(session);
        this.#pump();
      },
      closed: () => {
        this.#sessions.get(userId)?.delete(session);
        this.#due.delete(session);
      },
    });
    sink.started(start);
    const set = this.#sessions.get(userId) ?? new Set();
    set.add(session);
    this.#sessions.set(userId, set);
    this.#due.add(session);
    this.#pump();
    return session;
  }

  /** Whether a read is in flight or due (for tests that wait for quiet). */
  get busy(): boolean {
    return this.#reading || this.#due.size > 0;
  }

  /** How many sessions this process holds, for readiness and metrics. */
  get size(): number {
    let count = 0;
    for (const set of this.#sessions.values()) count += set.size;
    return count;
  }

  /** Reads for every due session at once until none is due; announcements meanwhile make it read again. */
  #pump(): void {
    if (this.#reading || this.#due.size === 0) return;
    this.#reading = true;
    void this.#drain().finally(() => {
      this.#reading = false;
      this.#pump();
    });
  }

  async #drain(): Promise<void> {
    while (this.#due.size > 0) {
      const batch = [...this.#due];
      this.#due.clear();
      const cursors = new Map<LiveSession, ReadCursor>(batch.map((session) => [session, session.cursorForRead()]));
      let read: Map<FeedCursor, UserEvent[]>;
      try {
        read = await this.#feeds.read([...cursors.values()], PAGE);
      } catch {
        // The database is away: try these again shortly rather than wait for the next announcement.
        setTimeout(() => {
          for (const session of batch) this.#due.add(session);
          this.#pump();
        }, RETRY_MS).unref();
        return;
      }
      for (const [session, cursor] of cursors) {
        const events = read.get(cursor)!;
        // A full page means there may be more: read on at once.
        if (session.deliver(cursor, events) && events.length === PAGE) this.#due.add(session);
      }
    }
  }
}

interface SessionHooks {
  due(): void;
  closed(): void;
}

export class LiveSession {
  readonly #userId: string;
  readonly #sink: LiveSink;
  readonly #hooks: SessionHooks;
  #cursor: number;
  /** Bumped by resume(): a read that started before it is dropped. */
  #epoch = 0;
  #closed = false;

  constructor(userId: string, after: number, sink: LiveSink, hooks: SessionHooks) {
    this.#userId = userId;
    this.#cursor = after;
    this.#sink = sink;
    this.#hooks = hooks;
  }

  /** The id of the last event sent (or the starting point). */
  get cursor(): number {
    return this.#cursor;
  }

  /** Starts over after `afterEventId` (a client telling where it is). */
  resume(afterEventId: number): void {
    if (this.#closed) return;
    this.#cursor = afterEventId;
    this.#epoch++;
    this.#hooks.due();
  }

  close(): void {
    this.#closed = true;
    this.#hooks.closed();
  }

  /** Where a read for this session starts; deliver() takes what it found. */
  cursorForRead(): ReadCursor {
    return { userId: this.#userId, afterEventId: this.#cursor, epoch: this.#epoch };
  }

  /** Sends what a read from `cursor` found; false when the session is gone or the read no longer applies. */
  deliver(cursor: ReadCursor, events: readonly UserEvent[]): boolean {
    if (this.#closed || cursor.epoch !== this.#epoch) return false;
    const first = events[0];
    if (first && first.eventId !== this.#cursor + 1) this.#sink.gap(this.#cursor + 1, first.eventId - 1);
    for (const event of events) {
      this.#cursor = event.eventId;
      if (!this.#sink.send(event)) {
        this.close();
        return false;
      }
    }
    return true;
  }
}
