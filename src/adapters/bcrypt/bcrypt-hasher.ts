import { availableParallelism } from 'node:os';
import bcrypt from 'bcrypt';
import type { PasswordHasher } from '../../ports/password-hasher.ts';

/**
 * bcrypt's native binding hashes on libuv's thread pool, so a login never blocks the event loop. Hashes run
 * at most (cores - 1) at a time: a burst of logins waits its turn instead of taking every core from the
 * requests in flight (on 2 cores, the pool's 4 threads all hashing would starve them).
 */
export class BcryptHasher implements PasswordHasher {
  readonly #rounds: number;
  readonly #slots = Math.max(1, availableParallelism() - 1);
  #running = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(rounds: number) {
    this.#rounds = rounds;
  }

  hash(password: string): Promise<string> {
    return this.#limited(() => bcrypt.hash(password, this.#rounds));
  }

  verify(password: string, hash: string): Promise<boolean> {
    return this.#limited(() => bcrypt.compare(password, hash));
  }

  async #limited<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#slots) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#running++;
    try {
      return await work();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}
