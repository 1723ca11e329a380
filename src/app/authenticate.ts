import { DomainError, ErrorCodes } from '../domain/errors.ts';
import type { PasswordHasher } from '../ports/password-hasher.ts';
import type { UserStore } from '../ports/user-store.ts';
import type { TokenCodec } from './token-codec.ts';

export interface Session {
  accessToken: string;
  expiresAt: Date;
  expiresIn: number;
  userId: string;
  username: string;
}

export class Authenticate {
  readonly #users: UserStore;
  readonly #hasher: PasswordHasher;
  readonly #tokens: TokenCodec;
  /** Verified against when the user is unknown, so both failures take the same time. */
  readonly #decoyHash: Promise<string>;

  constructor(users: UserStore, hasher: PasswordHasher, tokens: TokenCodec) {
    this.#users = users;
    this.#hasher = hasher;
    this.#tokens = tokens;
    this.#decoyHash = hasher.hash('decoy password that no account has');
  }

  async login(username: string, password: string, now = new Date()): Promise<Session> {
    const user = await this.#users.findByUsername(username);
    const matches = await this.#hasher.verify(password, user?.passwordHash ?? (await this.#decoyHash));
    if (!user || !user.isActive || !matches) {
      throw new DomainError(ErrorCodes.INVALID_CREDENTIALS, 'Invalid username or password');
    }
    const { token, claims } = this.#tokens.issue(user.userId, user.username, now);
    return {
      accessToken: token,
      expiresAt: claims.expiresAt,
      expiresIn: this.#tokens.ttlSeconds,
      userId: user.userId,
      username: user.username,
    };
  }
}
