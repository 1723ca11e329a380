export interface User {
  userId: string;
  username: string;
  createdAt: Date;
}

export interface UserWithPassword extends User {
  passwordHash: string;
  isActive: boolean;
}

export interface UserStore {
  findByUsername(username: string): Promise<UserWithPassword | undefined>;
  findById(userId: string): Promise<User | undefined>;
  /** Returns the subset of ids that belong to existing, active users. */
  existing(userIds: readonly string[]): Promise<Set<string>>;
  list(query: { username?: string; limit: number; offset: number }): Promise<{ users: User[]; total: number }>;
  /** Throws DomainError USERNAME_TAKEN when the username exists. */
  create(user: { userId: string; username: string; passwordHash: string }): Promise<User>;
}
