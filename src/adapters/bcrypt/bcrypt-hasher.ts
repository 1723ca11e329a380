import bcrypt from 'bcrypt';
import type { PasswordHasher } from '../../ports/password-hasher.ts';

/** bcrypt's native binding hashes on libuv's thread pool, so a login never blocks the event loop. */
export class BcryptHasher implements PasswordHasher {
  readonly #rounds: number;

  constructor(rounds: number) {
    this.#rounds = rounds;
  }

  hash(password: string): Promise<string> {
    return bcrypt.hash(password, this.#rounds);
  }

  verify(password: string, hash: string): Promise<boolean> {
    return bcrypt.compare(password, hash);
  }
}
