import type { HandOver, LedgerStore } from '../ports/ledger-store.ts';

/**
 * Records a connector's hand-overs as they are made, one statement at a time, half the limit at once (or fewer when
 * the batch is done or the sender waits for room), and lets no more than `limit` be under way or made and not
 * recorded.
 * Those are the ones a crash makes the connector send again (a second delivery line), so a crash repeats at most
 * `limit` hand-overs per connector, however large the batch.
 */
export class HandOverRecorder {
  readonly #ledger: LedgerStore;
  readonly #channel: string;
  readonly #limit: number;
  #waiting: HandOver[] = [];
  /** Hand-overs under way, waiting or being recorded. */
  #unrecorded = 0;
  #flushing: Promise<void> | undefined;
  #failure: unknown;
  readonly #recorded: HandOver[] = [];
  /** Senders waiting for room. */
  #roomWaiters: Array<() => void> = [];

  constructor(ledger: LedgerStore, channel: string, limit: number) {
    this.#ledger = ledger;
    this.#channel = channel;
    this.#limit = limit;
  }

  /** Resolves when a hand-over may be made: call before calling the channel, then add() what it answered. */
  async reserve(): Promise<void> {
    while (this.#unrecorded >= this.#limit && this.#failure === undefined) {
      this.#flush();
      await new Promise<void>((resolve) => this.#roomWaiters.push(resolve));
    }
    this.#unrecorded++;
  }

  /** Takes a hand-over just made (after reserve()); records once half the limit is waiting. */
  add(handOver: HandOver): void {
    this.#waiting.push(handOver);
    if (this.#waiting.length >= this.#limit / 2) this.#flush();
  }

  /** Records what is left; resolves with every hand-over recorded (one no longer pending is not), or rejects. */
  async done(): Promise<HandOver[]> {
    while (this.#flushing || (this.#waiting.length > 0 && this.#failure === undefined)) {
      this.#flush();
      await this.#flushing;
    }
    if (this.#failure !== undefined) throw this.#failure;
    return this.#recorded;
  }

  #flush(): void {
    if (this.#flushing || this.#waiting.length === 0 || this.#failure !== undefined) return;
    const chunk = this.#waiting;
    this.#waiting = [];
    this.#flushing = (async () => {
      try {
        this.#recorded.push(...(await this.#ledger.recordHandOvers(this.#channel, chunk)));
      } catch (error) {
        this.#failure = error;
      } finally {
        this.#unrecorded -= chunk.length;
        this.#flushing = undefined;
        const waiters = this.#roomWaiters;
        this.#roomWaiters = [];
        for (const wake of waiters) wake();
        if (this.#waiting.length >= this.#limit / 2) this.#flush();
      }
    })();
  }
}
