import type { RevokedSession } from './session-store.ts';

export interface User {
  userId: string;
  username: string;
  createdAt: Date;
  /** False once disabled: no sign-in, no tokens, not addable to conversations; their data stays. */
  active: boolean;
}

export interface UserWithPassword extends User {
  passwordHash: string;
}

/** An active user that may be a demo user: marked as one, or carrying a demo username from before the mark existed. */
export interface DemoCandidate {
  userId: string;
  username: string;
  passwordHash: string;
  /** Seeded as a demo user (migration 0006 on); unmarked candidates are demo users only if their password is the demo one. */
  markedDemo: boolean;
}

export interface UserStore {
  findByUsername(username: string): Promise<UserWithPassword | undefined>;
  findById(userId: string): Promise<User | undefined>;
  /** Returns the subset of ids that belong to existing, active users. */
  existing(userIds: readonly string[]): Promise<Set<string>>;
  /** Active users only, unless `includeDisabled` (the admin API). */
  list(query: { username?: string; limit: number; offset: number; includeDisabled?: boolean }): Promise<{ users: User[]; total: number }>;
  /** Throws DomainError USERNAME_TAKEN when the username exists. `demo` marks a seeded demo user. */
  create(user: { userId: string; username: string; passwordHash: string; demo?: boolean }): Promise<User>;
  /** Active users marked as demo users, and active users named in `usernames` (marked or not). */
  activeDemoCandidates(usernames: readonly string[]): Promise<DemoCandidate[]>;
  /**
   * Users that can no longer log in nor be added to conversations; their data stays. Ends their sessions (and the
   * sessions of clients acting as them) in the same transaction; returns those it ended.
   */
  deactivate(userIds: readonly string[]): Promise<RevokedSession[]>;
  /** Lets a disabled user sign in again (their ended sessions stay ended). */
  activate(userId: string): Promise<void>;
}
