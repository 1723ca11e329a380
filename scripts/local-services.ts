/**
 * What `npm test` and `npm run bench` need besides Node: PostgreSQL (never started here, taken from
 * CHAT4ALL_TEST_PG_URL), Apache Kafka (KAFKA_BOOTSTRAP_SERVERS), S3-compatible storage (S3_ENDPOINT with
 * S3_ACCESS_KEY, S3_SECRET_KEY) and Redis for the shared rate limits (REDIS_URL). Services asked for but not set
 * are started with scripts/services.sh (which installs Debian's redis-server when it is missing), and `stop()`
 * stops those it started. Without PostgreSQL, or without Java for Kafka, distributed mode is unavailable;
 * `warnings` says what is skipped, for the caller to print loudly.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pg from 'pg';

export const PG_URL = process.env.CHAT4ALL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export type Service = 'kafka' | 's3' | 'redis';

export interface LocalServices {
  /** Whether PostgreSQL + Kafka are there for the distributed mode. */
  distributed: boolean;
  /** What could not run and why. */
  warnings: string[];
  /** CHAT4ALL_TEST_PG_URL, and the variables of the services started here. */
  env: Record<string, string>;
  /** Stops what this call started (nothing that was already running). */
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

/** Whether scripts/services.sh already runs `service` (e.g. after `npm run services:start`, without its env sourced). */
function running(service: Service): boolean {
  return spawnSync('bash', ['scripts/services.sh', 'status', service], { stdio: 'ignore' }).status === 0;
}

function services(command: 'start' | 'stop', which: Service[]): void {
  const result = spawnSync('bash', ['scripts/services.sh', command, ...which], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`scripts/services.sh ${command} ${which.join(' ')} failed with status ${result.status}`);
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

/** The variables each service sets, taken from .services/env for the services this run started. */
const SERVICE_VARIABLES: Record<Service, string[]> = {
  kafka: ['KAFKA_BOOTSTRAP_SERVERS'],
  s3: ['S3_ENDPOINT', 'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'S3_REGION'],
  redis: ['REDIS_URL'],
};

/** The services that run on Java; Redis is a native server (Debian's package). */
const ON_JAVA: Service[] = ['kafka', 's3'];

/** Makes the `wanted` services available, starting those whose variables are not set. */
export async function localServices(wanted: Service[]): Promise<LocalServices> {
  const env: Record<string, string> = { CHAT4ALL_TEST_PG_URL: PG_URL };
  const none = (distributed: boolean, warnings: string[]): LocalServices => ({ distributed, warnings, env, stop() {} });
  let missing = wanted.filter((service) => !process.env[SERVICE_VARIABLES[service][0]!]);
  if (!(await postgresReachable())) {
    return none(false, [`Distributed suites SKIPPED: PostgreSQL is not reachable at ${PG_URL} (set CHAT4ALL_TEST_PG_URL).`]);
  }
  const warnings: string[] = [];
  if (missing.some((service) => ON_JAVA.includes(service)) && !hasJava()) {
    if (missing.includes('kafka')) {
      return none(false, ['Distributed (Kafka, S3) suites SKIPPED: no Java on this machine, so scripts/services.sh cannot run Kafka.']);
    }
    warnings.push(
      'S3 storage suites SKIPPED: no Java on this machine, so scripts/services.sh cannot run S3Proxy; ' +
        'the distributed suites run with local-disk storage instead (set S3_ENDPOINT to test an S3 server).',
    );
    missing = missing.filter((service) => !ON_JAVA.includes(service));
  }
  if (missing.length === 0) return none(true, warnings);
  // Stopping afterwards what was running before would pull the broker from under someone else's work.
  const started = missing.filter((service) => !running(service));
  services('start', missing);
  const written = servicesEnv();
  for (const service of missing) for (const name of SERVICE_VARIABLES[service]) if (written[name]) env[name] = written[name];
  const stop = () => {
    if (started.length > 0) services('stop', started);
  };
  return { distributed: true, warnings, env, stop };
}
