import { sql } from 'kysely';
import { DomainError, ErrorCodes } from '../../domain/errors.ts';
import type { RevokedSession } from '../../ports/session-store.ts';
import type { DemoCandidate, User, UserStore, UserWithPassword } from '../../ports/user-store.ts';
import { endSessions } from './ended-sessions.ts';
import { isUniqueViolation } from './sql-errors.ts';
import type { Db } from './sql-database.ts';

interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  is_active: boolean;
  is_demo: boolean;
  created_at: Date;
}

const toUser = (row: UserRow): User => ({ userId: row.id, username: row.username, createdAt: row.created_at, active: row.is_active });

export class SqlUserStore implements UserStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async findByUsername(username: string): Promise<UserWithPassword | undefined> {
    const { rows } = await sql<UserRow>`SELECT * FROM users WHERE username = ${username}`.execute(this.#db);
    const row = rows[0];
    return row && { ...toUser(row), passwordHash: row.password_hash };
  }

  async findById(userId: string): Promise<User | undefined> {
    const { rows } = await sql<UserRow>`SELECT * FROM users WHERE id = ${userId}`.execute(this.#db);
    return rows[0] && toUser(rows[0]);
  }

  async existing(userIds: readonly string[]): Promise<Set<string>> {
    const { rows } = await sql<{ id: string }>`
      SELECT id FROM users WHERE id = ANY(${[...userIds]}::uuid[]) AND is_active`.execute(this.#db);
    return new Set(rows.map((row) => row.id));
  }

  async list(query: { username?: string; limit: number; offset: number; includeDisabled?: boolean }): Promise<{ users: User[]; total: number }> {
    const byName = query.username === undefined ? sql`TRUE` : sql`username = ${query.username}`;
    const filter = query.includeDisabled ? byName : sql`is_active AND ${byName}`;
    const { rows } = await sql<UserRow & { total: number }>`
      SELECT *, count(*) OVER () AS total FROM users WHERE ${filter}
      ORDER BY username LIMIT ${query.limit} OFFSET ${query.offset}`.execute(this.#db);
    const total = rows[0]?.total ?? (await this.#count(filter));
    return { users: rows.map(toUser), total: Number(total) };
  }

  async create(user: { userId: string; username: string; passwordHash: string; demo?: boolean }): Promise<User> {
    try {
      const { rows } = await sql<UserRow>`
        INSERT INTO users (id, username, password_hash, is_demo)
        VALUES (${user.userId}, ${user.username}, ${user.passwordHash}, ${user.demo ?? false})
        RETURNING *`.execute(this.#db);
      return toUser(rows[0]!);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new DomainError(ErrorCodes.USERNAME_TAKEN, `username "${user.username}" is already taken`);
      }
      throw error;
    }
  }

  async activeDemoCandidates(usernames: readonly string[]): Promise<DemoCandidate[]> {
    const { rows } = await sql<UserRow>`
      SELECT * FROM users WHERE is_active AND (is_demo OR username = ANY(${[...usernames]}::text[]))
      ORDER BY username`.execute(this.#db);
    return rows.map((row) => ({ userId: row.id, username: row.username, passwordHash: row.password_hash, markedDemo: row.is_demo }));
  }

  async deactivate(userIds: readonly string[]): Promise<RevokedSession[]> {
    if (userIds.length === 0) return [];
    const ids = [...userIds];
    return this.#db.transaction().execute(async (trx) => {
      // The row lock first: a session being opened for one of them (FOR SHARE) commits before, and is ended below.
      await sql`UPDATE users SET is_active = false WHERE id = ANY(${ids}::uuid[]) AND is_active`.execute(trx);
      return endSessions(trx, sql`user_id = ANY(${ids}::uuid[])`);
    });
  }

  async activate(userId: string): Promise<void> {
    await sql`UPDATE users SET is_active = true WHERE id = ${userId}`.execute(this.#db);
  }

  async #count(filter: ReturnType<typeof sql>): Promise<number> {
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM users WHERE ${filter}`.execute(
      this.#db,
    );
    return Number(rows[0]!.n);
  }
}
