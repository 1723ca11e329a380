import { chmod } from 'node:fs/promises';
import path from 'node:path';
import { Kysely, PGliteDialect } from 'kysely';
import type { SqlDatabase } from '../sql-database.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { ensureCluster } from './pglite-cluster.ts';
import { PGliteOnThread } from './pglite-on-thread.ts';

/** The embedded database: PostgreSQL compiled to WASM, in this process (on a thread of its own), persisted under the data dir. */
export async function openPgliteDatabase(dataDir: string): Promise<SqlDatabase> {
  const unlock = await lockDataDir(dataDir);
  try {
    // The users' messages and password hashes: no one else on the machine may read them (PostgreSQL's own rule),
    // including in a directory an earlier version left open.
    await chmod(dataDir, 0o700);
    const dir = path.join(dataDir, 'pglite');
    await ensureCluster(dir);
    const pglite = await PGliteOnThread.create(dir);
    const db = new Kysely({ dialect: new PGliteDialect({ pglite: pglite.asPGlite() }) });
    return {
      db,
      exclusive: true,
      async listen(channel, onNotify) {
        // One process holds the embedded database, so a notification never has a connection to get lost on.
        const unlisten = await pglite.listen(channel, (payload) => onNotify(payload));
        return unlisten;
      },
      async close() {
        await db.destroy();
        await unlock();
      },
    };
  } catch (error) {
    await unlock();
    throw error;
  }
}
