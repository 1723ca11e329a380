import type { PasswordHasher } from '../ports/password-hasher.ts';
import type { UserStore } from '../ports/user-store.ts';
import { DEMO_PASSWORD, DEMO_USERNAMES } from './register-user.ts';

/**
 * Production never lets a demo user log in: their password is published. A data directory made in development
 * keeps its demo users when the hub moves to NODE_ENV=production; this disables them (their conversations stay).
 *
 * Demo users are marked when seeded. Those seeded before the mark existed are recognised by name (user1…user5
 * only) and by the demo password: at most five bcrypt checks, made once, since a disabled user is not checked again.
 */
export class DisableDemoUsers {
  readonly #users: UserStore;
  readonly #hasher: PasswordHasher;

  constructor(users: UserStore, hasher: PasswordHasher) {
    this.#users = users;
    this.#hasher = hasher;
  }

  /** Disables every active demo user; returns their usernames. */
  async disable(): Promise<string[]> {
    const candidates = await this.#users.activeDemoCandidates(DEMO_USERNAMES);
    const isDemo = await Promise.all(
      candidates.map((user) => user.markedDemo || this.#hasher.verify(DEMO_PASSWORD, user.passwordHash)),
    );
    const demo = candidates.filter((_, index) => isDemo[index]);
    await this.#users.deactivate(demo.map((user) => user.userId));
    return demo.map((user) => user.username);
  }
}
