import { DomainError, ErrorCodes } from '../domain/errors.ts';
import type { PasswordHasher } from '../ports/password-hasher.ts';

/** How many password hashes run at once, and how many more may wait for one of them. */
export interface HashingLimits {
  running: number;
  waiting: number;
}

/**
 * Puts the hashes made on the request path (logins) in a bounded queue. A hash takes a thread of libuv's small pool
 * for a quarter of a second, so an unbounded queue let a flood of wrong passwords make every login wait seconds;
 * once the queue is full, a login is refused at once (503) and its client may come back shortly.
 */
export class HashingQueue implements PasswordHasher {
  readonly #hasher: PasswordHasher;
  readonly #limits: HashingLimits;
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(hasher: PasswordHasher, limits: HashingLimits) {
    this.#hasher = hasher;
    this.#limits = limits;
  }

  hash(password: string): Promise<string> {
    return this.#queued(() => this.#hasher.hash(password));
  }

  verify(password: string, hash: string): Promise<boolean> {
    return this.#queued(() => this.#hasher.verify(password, hash));
  }

  async #queued<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running < this.#limits.running) this.#running++;
    else if (this.#waiting.length < this.#limits.waiting) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else throw new DomainError(ErrorCodes.LOGIN_BUSY, 'Too many logins are being checked right now; retry in a moment');
    try {
      return await work();
    } finally {
      // The slot passes straight to the first in line, so a newcomer cannot take it from under them.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}
