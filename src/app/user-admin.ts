import { DomainError, ErrorCodes } from '../domain/errors.ts';
import type { User, UserStore } from '../ports/user-store.ts';
import type { RegisterUser } from './register-user.ts';
import type { RevokedSessions } from './revoked-sessions.ts';

/**
 * What an administrator does to accounts, through the admin API or the CLI. Disabling ends every session of the
 * user (and of clients acting as them): their access tokens are refused at once, their refresh tokens for good.
 */
export class UserAdmin {
  readonly #users: UserStore;
  readonly #register: RegisterUser;
  readonly #revoked: RevokedSessions;

  constructor(users: UserStore, register: RegisterUser, revoked: RevokedSessions) {
    this.#users = users;
    this.#register = register;
    this.#revoked = revoked;
  }

  create(username: string, password: string): Promise<User> {
    return this.#register.register(username, password);
  }

  /** Every account, disabled ones too. */
  list(query: { username?: string; limit: number; offset: number }): Promise<{ users: User[]; total: number }> {
    return this.#users.list({ ...query, includeDisabled: true });
  }

  async disable(userId: string): Promise<User> {
    await this.#existing(userId);
    this.#revoked.add(await this.#users.deactivate([userId]));
    return this.#existing(userId);
  }

  /** Sessions ended by the disable stay ended: the user signs in again. */
  async enable(userId: string): Promise<User> {
    await this.#existing(userId);
    await this.#users.activate(userId);
    return this.#existing(userId);
  }

  /** The id of a username, for the CLI. */
  async idOf(username: string): Promise<string> {
    const user = await this.#users.findByUsername(username);
    if (!user) throw new DomainError(ErrorCodes.USER_NOT_FOUND, `no user named "${username}"`);
    return user.userId;
  }

  async #existing(userId: string): Promise<User> {
    const user = await this.#users.findById(userId);
    if (!user) throw new DomainError(ErrorCodes.USER_NOT_FOUND, `no user with id ${userId}`);
    return user;
  }
}
