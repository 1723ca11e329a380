import type { HandOver, LedgerStore } from '../ports/ledger-store.ts';

/**
 * Records a connector's hand-overs in chunks as they are made, one chunk at a time, and lets no more than two
 * chunks' worth be made and not yet recorded. Those are the ones a crash makes the connector send again (a second
 * delivery line), so a crash repeats at most 2 × chunk hand-overs per connector, however large the batch, for one
 * statement per chunk.
 */
export class HandOverRecorder {
  readonly #ledger: LedgerStore;
  readonly #channel: string;
  readonly #chunk: number;
  #waiting: HandOver[] = [];
  /** Hand-overs under way or made and not recorded yet (waiting, queued or being recorded). */
  #unrecorded = 0;
  #flushing: Promise<void> = Promise.resolve();
  #failure: unknown;
  readonly #recorded: HandOver[] = [];

  constructor(ledger: LedgerStore, channel: string, chunk: number) {
    this.#ledger = ledger;
    this.#channel = channel;
    this.#chunk = chunk;
  }

  /** The most hand-overs made and not recorded at any time: what a crash can make the connector repeat. */
  get limit(): number {
    return 2 * this.#chunk;
  }

  /** Resolves when a hand-over may be made: call before calling the channel, then add() what it answered. */
  async reserve(): Promise<void> {
    while (this.#unrecorded >= this.limit && this.#failure === undefined) {
      if (this.#waiting.length > 0) this.#flush();
      await this.#flushing;
    }
    this.#unrecorded++;
  }

  /** Takes a hand-over just made (after reserve()). */
  add(handOver: HandOver): void {
    this.#waiting.push(handOver);
    if (this.#waiting.length >= this.#chunk) this.#flush();
  }

  /** Records what is left; resolves with every hand-over recorded (one no longer pending is not), or rejects. */
  async done(): Promise<HandOver[]> {
    if (this.#waiting.length > 0) this.#flush();
    await this.#flushing;
    if (this.#failure !== undefined) throw this.#failure;
    return this.#recorded;
  }

  #flush(): void {
    const chunk = this.#waiting;
    this.#waiting = [];
    this.#flushing = this.#flushing.then(async () => {
      if (this.#failure !== undefined) return;
      try {
        this.#recorded.push(...(await this.#ledger.recordHandOvers(this.#channel, chunk)));
      } catch (error) {
        this.#failure = error;
      } finally {
        this.#unrecorded -= chunk.length;
      }
    });
  }
}
