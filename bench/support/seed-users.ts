import type { TestMode } from '../../test/support/test-modes.ts';
import { withHubDatabase } from './hub-database.ts';

/**
 * Adds users `<prefix>1` … `<prefix><count>` straight in the hub's database, each with the password (and the
 * bcrypt hash, at its cost) of an existing user: the hub has no sign-up endpoint, and `chat4all user add`
 * takes one process per user. The embedded hub must be stopped.
 */
export async function seedUsers(mode: TestMode, dataDir: string, like: string, prefix: string, count: number): Promise<string[]> {
  await withHubDatabase(mode, dataDir, (query) =>
    query(
      `INSERT INTO users (id, username, password_hash)
       SELECT gen_random_uuid(), $1 || g, (SELECT password_hash FROM users WHERE username = $2) FROM generate_series(1, $3::int) AS g`,
      [prefix, like, count],
    ),
  );
  return Array.from({ length: count }, (_, index) => `${prefix}${index + 1}`);
}
