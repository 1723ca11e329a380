export interface User {
  userId: string;
  username: string;
  createdAt: Date;
}

export interface UserWithPassword extends User {
  passwordHash: string;
  isActive: boolean;
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
  list(query: { username?: string; limit: number; offset: number }): Promise<{ users: User[]; total: number }>;
  /** Throws DomainError USERNAME_TAKEN when the username exists. `demo` marks a seeded demo user. */
  create(user: { userId: string; username: string; passwordHash: string; demo?: boolean }): Promise<User>;
  /** Active users marked as demo users, and active users named in `usernames` (marked or not). */
  activeDemoCandidates(usernames: readonly string[]): Promise<DemoCandidate[]>;
  /** Users that can no longer log in nor be added to conversations; their data stays. */
  deactivate(userIds: readonly string[]): Promise<void>;
}
