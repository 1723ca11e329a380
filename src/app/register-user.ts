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
    checkNewCredentials(username, password);
    const passwordHash = await this.#hasher.hash(password);
    return this.#users.create({ userId: randomUUID(), username, passwordHash });
  }

  /** Seeds user1…user5 / password123 into an empty store; returns the usernames created. */
  async seedDemoUsers(): Promise<string[]> {
    if ((await this.#users.count()) > 0) return [];
    const names = ['user1', 'user2', 'user3', 'user4', 'user5'];
    await Promise.all(names.map((name) => this.register(name, DEMO_PASSWORD)));
    return names;
  }
}

export const DEMO_PASSWORD = 'password123';
