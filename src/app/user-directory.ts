import { DomainError, ErrorCodes } from '../domain/errors.ts';
import type { User, UserStore } from '../ports/user-store.ts';

/** Lets a signed-in user find who they can talk to. */
export class UserDirectory {
  readonly #users: UserStore;

  constructor(users: UserStore) {
    this.#users = users;
  }

  async me(userId: string): Promise<User> {
    const user = await this.#users.findById(userId);
    if (!user) throw new DomainError(ErrorCodes.USER_NOT_FOUND, 'The account behind this token no longer exists');
    return user;
  }

  search(query: { username?: string; limit: number; offset: number }): Promise<{ users: User[]; total: number }> {
    return this.#users.list(query);
  }
}
