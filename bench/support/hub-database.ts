import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { distributedState, type TestMode } from '../../test/support/test-modes.ts';

export type Query = <R>(text: string, params?: unknown[]) => Promise<R[]>;

/**
 * Opens a deployment's own database straight, for seeding data or reading results: its PGlite directory
 * (the embedded hub must be stopped: one process at a time) or its database on the PostgreSQL server.
 */
export async function withHubDatabase<T>(mode: TestMode, dataDir: string, work: (query: Query) => Promise<T>): Promise<T> {
  if (mode === 'embedded') {
    const db = await PGlite.create(path.join(dataDir, 'pglite'));
    try {
      return await work(async <R>(text: string, params?: unknown[]) => (await db.query<R>(text, params)).rows);
    } finally {
      await db.close();
    }
  }
  const client = new pg.Client({ connectionString: distributedState(dataDir).url });
  await client.connect();
  try {
    return await work(async <R>(text: string, params?: unknown[]) => (await client.query(text, params)).rows as R[]);
  } finally {
    await client.end();
  }
}
