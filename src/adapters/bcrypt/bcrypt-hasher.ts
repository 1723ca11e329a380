import bcrypt from 'bcrypt';
import { MAX_PASSWORD_BYTES } from '../../domain/user-rules.ts';
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

  /**
   * bcrypt reads 72 bytes and ignores the rest, so a longer password would match any password that starts with
   * the same 72 bytes. No account has one (registration refuses them): a longer password is simply wrong.
   */
  async verify(password: string, hash: string): Promise<boolean> {
    if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) return false;
    return bcrypt.compare(password, hash);
  }
}
