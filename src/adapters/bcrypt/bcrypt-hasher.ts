import { availableParallelism } from 'node:os';
import bcrypt from 'bcrypt';
import { MAX_PASSWORD_BYTES } from '../../domain/user-rules.ts';
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

  /**
   * bcrypt reads 72 bytes and ignores the rest, so a longer password would match any password that starts with
   * the same 72 bytes. No account has one (registration refuses them): a longer password is simply wrong.
   */
  async verify(password: string, hash: string): Promise<boolean> {
    if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) return false;
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
