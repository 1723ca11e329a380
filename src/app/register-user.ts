import { randomUUID } from 'node:crypto';
import { checkNewCredentials } from '../domain/user-rules.ts';
import type { PasswordHasher } from '../ports/password-hasher.ts';
import type { User, UserStore } from '../ports/user-store.ts';

export class RegisterUser {
  readonly #users: UserStore;
  readonly #hasher: PasswordHasher;

  constructor(users: UserStore, hasher: PasswordHasher) {
    this.#users = users;
    this.#hasher = hasher;
  }

  async register(username: string, password: string): Promise<User> {
    return this.#create(username, password, false);
  }

  /**
   * Creates whichever of user1…user5 (password123) does not exist yet, marked as demo users so that a production
   * start disables them; returns the usernames created.
   */
  async seedDemoUsers(): Promise<string[]> {
    const missing: string[] = [];
    for (const name of DEMO_USERNAMES) if (!(await this.#users.findByUsername(name))) missing.push(name);
    await Promise.all(missing.map((name) => this.#create(name, DEMO_PASSWORD, true)));
    return missing;
  }

  async #create(username: string, password: string, demo: boolean): Promise<User> {
    checkNewCredentials(username, password);
    const passwordHash = await this.#hasher.hash(password);
    return this.#users.create({ userId: randomUUID(), username, passwordHash, demo });
  }
}

export const DEMO_USERNAMES = ['user1', 'user2', 'user3', 'user4', 'user5'];
export const DEMO_PASSWORD = 'password123';
