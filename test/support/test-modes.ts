import path from 'node:path';
import { Admin } from '@platformatic/kafka';
import pg from 'pg';

/**
 * The contract suite runs once per mode: `embedded` (PGlite, the bus on the database) and `distributed`
 * (PostgreSQL + Apache Kafka). scripts/test.ts decides which modes this machine can run and says so.
 */
export type TestMode = 'embedded' | 'distributed';

export const testModes: TestMode[] = (process.env.CHAT4ALL_TEST_MODES ?? 'embedded')
  .split(',')
  .filter((mode): mode is TestMode => mode === 'embedded' || mode === 'distributed');

/** The server that holds one database per test hub in distributed mode. */
const ADMIN_URL = process.env.CHAT4ALL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Which storage adapter each mode's hubs use: local disk in embedded mode; in distributed mode the S3-compatible
 * server the runner started (S3_ENDPOINT), or disk where there is none (the runner then says so loudly).
 */
export function storageOf(mode: TestMode): 'disk' | 's3' {
  return mode === 'distributed' && process.env.S3_ENDPOINT ? 's3' : 'disk';
}

/** A hub's state in distributed mode is named after its data directory: its own database, topics and bucket. */
export function distributedState(dataDir: string): { database: string; url: string; topicPrefix: string; bucket: string } {
  const database = `chat4all_${path.basename(dataDir).replace(/[^A-Za-z0-9]/g, '_').toLowerCase()}`;
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  return { database, url: url.toString(), topicPrefix: `${database}.`, bucket: database.replaceAll('_', '-') };
}

export async function createDatabase(database: string): Promise<void> {
  await withAdmin(async (client) => {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await client.query(`CREATE DATABASE "${database}"`);
  });
}

export async function dropDatabase(database: string): Promise<void> {
  await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
}

/**
 * Deletes a hub's topics, so a long-lived local broker does not pile up partitions run after run.
 * Best effort: a broker that is gone (a test may have stopped its own) leaves nothing to clean.
 */
export async function deleteTopics(prefix: string): Promise<void> {
  const brokers = [process.env.KAFKA_BOOTSTRAP_SERVERS ?? '127.0.0.1:9092'];
  const admin = new Admin({ clientId: 'chat4all-tests', bootstrapBrokers: brokers, timeout: 5_000, retries: 1 });
  try {
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics });
  } catch {
    // nothing to clean where no broker answers
  } finally {
    await admin.close().catch(() => {});
  }
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
