import { DomainError, ErrorCodes } from '../domain/errors.ts';

/** How many chunk bodies one process streams at once: for one user, and for everyone. */
export interface ChunkConcurrency {
  perUser: number;
  total: number;
}

/**
 * Slots for chunk bodies streaming through this process. Each holds a socket, buffers and a storage write for as
 * long as its client takes to send it, so a client that opens many, or sends slowly, is told to come back (429)
 * instead of taking every one.
 */
export class ChunkSlots {
  readonly #limits: ChunkConcurrency;
  readonly #byUser = new Map<string, number>();
  #taken = 0;

  constructor(limits: ChunkConcurrency) {
    this.#limits = limits;
  }

  /** Takes a slot for one of `userId`'s chunks, or throws the 429; call the function returned once, when it is done. */
  take(userId: string): () => void {
    const mine = this.#byUser.get(userId) ?? 0;
    if (mine >= this.#limits.perUser) {
      throw busy(`${mine} chunks of this user are streaming through this server already; send this one when one of them is done`);
    }
    if (this.#taken >= this.#limits.total) throw busy(`This server is streaming ${this.#taken} chunks already; send this one shortly`);
    this.#byUser.set(userId, mine + 1);
    this.#taken++;
    return () => {
      this.#taken--;
      const left = this.#byUser.get(userId)! - 1;
      if (left === 0) this.#byUser.delete(userId);
      else this.#byUser.set(userId, left);
    };
  }
}

const busy = (detail: string) => new DomainError(ErrorCodes.TOO_MANY_CHUNK_UPLOADS, detail);
