import { DomainError, ErrorCodes } from '../domain/errors.ts';
import type { PasswordHasher } from '../ports/password-hasher.ts';
import type { UserStore } from '../ports/user-store.ts';
import type { Grant, Sessions } from './sessions.ts';

/** The password grant: a user signs in and gets a chat-scoped access token and the first refresh token of a new family. */
export class Authenticate {
  readonly #users: UserStore;
  readonly #hasher: PasswordHasher;
  readonly #sessions: Sessions;
  /** Verified against when the user is unknown, so both failures take the same time. */
  readonly #decoyHash: Promise<string>;

  constructor(users: UserStore, hasher: PasswordHasher, sessions: Sessions) {
    this.#users = users;
    this.#hasher = hasher;
    this.#sessions = sessions;
    this.#decoyHash = hasher.hash('decoy password that no account has');
  }

  /** A disabled user is refused like a wrong password: a password guesser learns nothing about the account. */
  async login(username: string, password: string, now = new Date()): Promise<Grant> {
    const user = await this.#users.findByUsername(username);
    const matches = await this.#hasher.verify(password, user?.passwordHash ?? (await this.#decoyHash));
    if (!user || !user.active || !matches) {
      throw new DomainError(ErrorCodes.INVALID_CREDENTIALS, 'Invalid username or password');
    }
    return this.#sessions.open({ userId: user.userId, username: user.username }, ['chat'], { refreshable: true }, now);
  }
}
