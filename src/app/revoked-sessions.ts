import type { Logger } from '../ports/logger.ts';
import type { RevokedSession, SessionStore } from '../ports/session-store.ts';

/** Log rows read per query while catching up. */
const PAGE = 1_000;

/**
 * The sessions ended while some of their access tokens may still be unexpired, held in memory by every API
 * process: checking a token stays one map lookup, no database round trip. A session ended here is refused here at
 * once; one ended by another process (or the CLI) arrives through the revocation log, which `follow` reads every
 * poll interval. Entries are dropped once the session's last access token has expired, so the map holds at most
 * one access-token lifetime of revocations.
 */
export class RevokedSessions {
  readonly #store: SessionStore;
  readonly #log: Logger;
  /** Session id → when its last access token expires (ms). */
  readonly #until = new Map<string, number>();
  /** Session id → what to tell when it is ended (its open WebSockets). */
  readonly #watchers = new Map<string, Set<() => void>>();
  #cursor = 0;
  #timer: NodeJS.Timeout | undefined;
  #syncing: Promise<void> = Promise.resolve();
  /** The poll or prune in flight, which stop() waits for before the store closes. */
  #ticking: Promise<void> = Promise.resolve();

  constructor(store: SessionStore, log: Logger) {
    this.#store = store;
    this.#log = log;
  }

  has(sessionId: string): boolean {
    return this.#until.has(sessionId);
  }

  /** Takes ended sessions in (from this process's own revocations, or the log) and tells their watchers. */
  add(sessions: readonly RevokedSession[], now = Date.now()): void {
    for (const { sessionId, expiresAt } of sessions) {
      if (expiresAt.getTime() <= now) continue;
      this.#until.set(sessionId, expiresAt.getTime());
      const watchers = this.#watchers.get(sessionId);
      this.#watchers.delete(sessionId);
      for (const notify of watchers ?? []) notify();
    }
  }

  /** Calls `onEnded` once if the session is ended later; returns the function that stops watching. */
  watch(sessionId: string, onEnded: () => void): () => void {
    if (this.#until.has(sessionId)) {
      // Ended between the token's check and this call.
      queueMicrotask(onEnded);
      return () => {};
    }
    const watchers = this.#watchers.get(sessionId) ?? new Set();
    watchers.add(onEnded);
    this.#watchers.set(sessionId, watchers);
    return () => {
      watchers.delete(onEnded);
      if (watchers.size === 0 && this.#watchers.get(sessionId) === watchers) this.#watchers.delete(sessionId);
    };
  }

  /** Reads the log from where it stopped to its end; one read at a time. */
  sync(): Promise<void> {
    this.#syncing = this.#syncing.then(async () => {
      for (;;) {
        const { sessions, cursor } = await this.#store.endedAfter(this.#cursor, PAGE);
        this.#cursor = cursor;
        this.add(sessions);
        if (sessions.length < PAGE) break;
      }
      this.#dropExpired(Date.now());
    });
    return this.#syncing;
  }

  /**
   * Loads the log, then reads it again every `pollMs` (0: never, for a process alone on its database, where every
   * revocation is its own) and prunes expired sessions and tokens from the database every `pruneMs`.
   */
  async follow(pollMs: number, pruneMs: number): Promise<void> {
    await this.sync();
    let lastPrune = 0;
    const tick = async () => {
      if (pollMs > 0) await this.sync();
      if (Date.now() - lastPrune >= pruneMs) {
        lastPrune = Date.now();
        await this.#store.prune(new Date());
      }
    };
    const loop = () => {
      this.#timer = setTimeout(() => {
        this.#ticking = tick()
          .catch((error: unknown) => this.#log.warn({ err: error }, 'reading the revocation log failed; retrying'))
          .finally(() => this.#timer !== undefined && loop());
      }, pollMs > 0 ? Math.min(pollMs, pruneMs) : pruneMs);
    };
    loop();
  }

  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#ticking;
    await this.#syncing.catch(() => {});
  }

  #dropExpired(now: number): void {
    for (const [sessionId, until] of this.#until) if (until <= now) this.#until.delete(sessionId);
  }
}
