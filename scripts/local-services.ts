/**
 * What `npm test` and `npm run bench` need besides Node: PostgreSQL (never started here, taken from
 * CHAT4ALL_TEST_PG_URL) and Apache Kafka (KAFKA_BOOTSTRAP_SERVERS when set, otherwise started with
 * scripts/services.sh and stopped by `stop()`). Without PostgreSQL or Java, distributed mode is unavailable
 * and `skipped` says why, for the caller to print loudly.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pg from 'pg';

export const PG_URL = process.env.CHAT4ALL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface LocalServices {
  /** Whether PostgreSQL + Kafka are there for the distributed mode. */
  distributed: boolean;
  /** Why distributed mode is unavailable, when it is. */
  skipped?: string;
  /** CHAT4ALL_TEST_PG_URL, and KAFKA_BOOTSTRAP_SERVERS when distributed. */
  env: Record<string, string>;
  /** Stops what this call started (nothing when Kafka was already running). */
  stop(): void;
}

export function loud(message: string): void {
  const bar = '!'.repeat(100);
  process.stderr.write(`\n${bar}\n!! ${message}\n${bar}\n\n`);
}

function hasJava(): boolean {
  return spawnSync('java', ['-version'], { stdio: 'ignore' }).status === 0;
}

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

function services(command: 'start' | 'stop'): void {
  const result = spawnSync('bash', ['scripts/services.sh', command], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`scripts/services.sh ${command} failed with status ${result.status}`);
}

/** Reads `export NAME=value` lines written by scripts/services.sh. */
function servicesEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync('.services/env', 'utf8').split('\n')) {
    const match = /^export (\w+)=(.*)$/.exec(line);
    if (match) env[match[1]!] = match[2]!;
  }
  return env;
}

export async function localServices(): Promise<LocalServices> {
  const env: Record<string, string> = { CHAT4ALL_TEST_PG_URL: PG_URL };
  const unavailable = (skipped: string): LocalServices => ({ distributed: false, skipped, env, stop() {} });
  if (!(await postgresReachable())) {
    return unavailable(`PostgreSQL is not reachable at ${PG_URL} (set CHAT4ALL_TEST_PG_URL).`);
  }
  if (process.env.KAFKA_BOOTSTRAP_SERVERS) {
    return { distributed: true, env: { ...env, KAFKA_BOOTSTRAP_SERVERS: process.env.KAFKA_BOOTSTRAP_SERVERS }, stop() {} };
  }
  if (!hasJava()) return unavailable('no Java on this machine, so scripts/services.sh cannot run Kafka.');
  services('start');
  return {
    distributed: true,
    env: { ...env, KAFKA_BOOTSTRAP_SERVERS: servicesEnv().KAFKA_BOOTSTRAP_SERVERS! },
    stop: () => services('stop'),
  };
}
