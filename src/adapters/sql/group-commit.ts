/**
 * Group commit: callers submit items one by one; each lane runs one batch at a time, and whatever arrived
 * while its batch was in flight goes into the next one. An idle lane starts at once (on the next turn of
 * the event loop, so requests read together go together), so a lone request waits for nothing, and under
 * load one statement serves many requests.
 *
 * Items sharing a key (e.g. an idempotency key) never go into the same batch: the later one waits for the
 * next, so the batch statement need not reason about duplicates within itself.
 */
export interface GroupCommitOptions<T, R> {
  lanes: number;
  maxBatch: number;
  /** Items of one lane are batched in submission order; different lanes run concurrently. */
  laneOf(item: T): number;
  keyOf(item: T): string;
  /** Runs one batch; answers one settled result per item, in order. Throwing fails every item. */
  run(items: T[]): Promise<Array<PromiseSettledResult<R>>>;
}

interface Pending<T, R> {
  item: T;
  resolve(value: R): void;
  reject(reason: unknown): void;
}

interface Lane<T, R> {
  queue: Array<Pending<T, R>>;
  busy: boolean;
}

export class GroupCommit<T, R> {
  readonly #options: GroupCommitOptions<T, R>;
  readonly #lanes: Array<Lane<T, R>>;

  constructor(options: GroupCommitOptions<T, R>) {
    this.#options = options;
    this.#lanes = Array.from({ length: options.lanes }, () => ({ queue: [], busy: false }));
  }

  submit(item: T): Promise<R> {
    const lane = this.#lanes[this.#options.laneOf(item) % this.#lanes.length]!;
    return new Promise<R>((resolve, reject) => {
      lane.queue.push({ item, resolve, reject });
      if (!lane.busy) {
        lane.busy = true;
        setImmediate(() => void this.#drain(lane));
      }
    });
  }

  async #drain(lane: Lane<T, R>): Promise<void> {
    while (lane.queue.length > 0) {
      const batch = this.#take(lane);
      try {
        const results = await this.#options.run(batch.map((pending) => pending.item));
        batch.forEach((pending, i) => {
          const result = results[i]!;
          if (result.status === 'fulfilled') pending.resolve(result.value);
          else pending.reject(result.reason);
        });
      } catch (error) {
        for (const pending of batch) pending.reject(error);
      }
    }
    lane.busy = false;
  }

  /** The oldest items of the lane, up to maxBatch, at most one per key; the rest keep their places. */
  #take(lane: Lane<T, R>): Array<Pending<T, R>> {
    const keys = new Set<string>();
    const batch: Array<Pending<T, R>> = [];
    const rest: Array<Pending<T, R>> = [];
    for (const pending of lane.queue) {
      const key = this.#options.keyOf(pending.item);
      if (batch.length < this.#options.maxBatch && !keys.has(key)) {
        keys.add(key);
        batch.push(pending);
      } else rest.push(pending);
    }
    lane.queue = rest;
    return batch;
  }
}
