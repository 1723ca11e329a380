import type { UserEvent, UserEventStore } from '../ports/user-event-store.ts';

/** Where a live session's events go (a WebSocket connection, at the HTTP edge). */
export interface LiveSink {
  /** The session starts after event `afterEventId`: called once, before any event. */
  started(afterEventId: number): void;
  /** Sends one event; returns false when the client cannot keep up and the session should end. */
  send(event: UserEvent): boolean;
  /** Events `from`..`to` were dropped from the feed (older than the retention window) before this client got them. */
  gap(from: number, to: number): void;
}

const PAGE = 500;
const RETRY_MS = 1_000;

/**
 * Live delivery of users' feeds to connected clients, in every API process: a session first replays what its
 * client missed, then follows the feed as it grows. Appends anywhere are announced (LISTEN/NOTIFY), and each
 * announcement makes the sessions of those users read on from where they are, so order is the feed's and
 * nothing is sent twice.
 */
export class LiveEvents {
  readonly #feeds: UserEventStore;
  readonly #sessions = new Map<string, Set<LiveSession>>();
  #unlisten: (() => Promise<void>) | undefined;

  constructor(feeds: UserEventStore) {
    this.#feeds = feeds;
  }

  async start(): Promise<void> {
    this.#unlisten = await this.#feeds.listen((userIds) => {
      const sessions = userIds === null ? [...this.#sessions.values()] : userIds.map((id) => this.#sessions.get(id));
      for (const set of sessions) for (const session of set ?? []) session.pump();
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
    const session = new LiveSession(this.#feeds, userId, start, sink, () => this.#sessions.get(userId)?.delete(session));
    sink.started(start);
    const set = this.#sessions.get(userId) ?? new Set();
    set.add(session);
    this.#sessions.set(userId, set);
    session.pump();
    return session;
  }

  /** How many sessions this process holds, for readiness and metrics. */
  get size(): number {
    let count = 0;
    for (const set of this.#sessions.values()) count += set.size;
    return count;
  }
}

export class LiveSession {
  readonly #feeds: UserEventStore;
  readonly #userId: string;
  readonly #sink: LiveSink;
  readonly #onClose: () => void;
  #cursor: number;
  #resumeFrom: number | undefined;
  #running = false;
  #again = false;
  #closed = false;

  constructor(feeds: UserEventStore, userId: string, after: number, sink: LiveSink, onClose: () => void) {
    this.#feeds = feeds;
    this.#userId = userId;
    this.#cursor = after;
    this.#sink = sink;
    this.#onClose = onClose;
  }

  /** The id of the last event sent (or the starting point). */
  get cursor(): number {
    return this.#cursor;
  }

  /** Starts over after `afterEventId` (a client telling where it is). */
  resume(afterEventId: number): void {
    this.#resumeFrom = afterEventId;
    this.pump();
  }

  /** Reads on from the cursor until the feed's end; calls while a read is running make it read once more. */
  pump(): void {
    if (this.#closed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    void this.#drain().finally(() => {
      this.#running = false;
    });
  }

  close(): void {
    this.#closed = true;
    this.#onClose();
  }

  async #drain(): Promise<void> {
    do {
      this.#again = false;
      for (;;) {
        if (this.#resumeFrom !== undefined) {
          this.#cursor = this.#resumeFrom;
          this.#resumeFrom = undefined;
        }
        let events: UserEvent[];
        try {
          events = await this.#feeds.read(this.#userId, this.#cursor, PAGE);
        } catch {
          // The database is away: try again shortly rather than wait for the next announcement.
          setTimeout(() => this.pump(), RETRY_MS).unref();
          return;
        }
        if (this.#closed) return;
        if (this.#resumeFrom !== undefined) continue;
        const first = events[0];
        if (first && first.eventId !== this.#cursor + 1) this.#sink.gap(this.#cursor + 1, first.eventId - 1);
        for (const event of events) {
          this.#cursor = event.eventId;
          if (!this.#sink.send(event)) return this.close();
        }
        if (events.length < PAGE) break;
      }
    } while (this.#again && !this.#closed);
  }
}
