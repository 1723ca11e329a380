/**
 * `npm test`: runs every test file with node:test, the contract suite once per mode.
 *
 * - embedded: always; files on local disk.
 * - distributed (PostgreSQL + Apache Kafka + S3-compatible storage): uses KAFKA_BOOTSTRAP_SERVERS and S3_ENDPOINT
 *   (with S3_ACCESS_KEY, S3_SECRET_KEY) when they are set; otherwise starts what is missing (Kafka, S3Proxy) with
 *   scripts/services.sh and stops it afterwards. Without Java, whatever needs a service that cannot start is
 *   skipped with a loud message; with Java, a service that fails to start fails the run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pg from 'pg';

const PG_URL = process.env.CHAT4ALL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

function loud(message: string): void {
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

type Service = 'kafka' | 's3';

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
};

async function main(): Promise<number> {
  const modes = ['embedded'];
  const env: NodeJS.ProcessEnv = { ...process.env, CHAT4ALL_TEST_PG_URL: PG_URL };
  const missing: Service[] = [];
  if (!process.env.KAFKA_BOOTSTRAP_SERVERS) missing.push('kafka');
  if (!process.env.S3_ENDPOINT) missing.push('s3');
  let started: Service[] = [];
  if (!(await postgresReachable())) {
    loud(`Distributed suites SKIPPED: PostgreSQL is not reachable at ${PG_URL} (set CHAT4ALL_TEST_PG_URL).`);
  } else if (missing.length > 0 && !hasJava()) {
    if (missing.includes('kafka')) {
      loud('Distributed (Kafka, S3) suites SKIPPED: no Java on this machine, so scripts/services.sh cannot run Kafka.');
    } else {
      loud('S3 storage suites SKIPPED: no Java on this machine, so scripts/services.sh cannot run S3Proxy; ' +
        'the distributed suites run with local-disk storage instead (set S3_ENDPOINT to test an S3 server).');
      modes.push('distributed');
    }
  } else {
    if (missing.length > 0) {
      services('start', missing);
      started = missing;
      const written = servicesEnv();
      for (const service of started) for (const name of SERVICE_VARIABLES[service]) env[name] = written[name];
    }
    modes.push('distributed');
  }
  process.stdout.write(`Test modes: ${modes.join(', ')} (files: embedded on disk${modes.includes('distributed') ? `, distributed on ${env.S3_ENDPOINT ? `S3 at ${env.S3_ENDPOINT}` : 'disk'}` : ''})\n`);
  try {
    const child = spawn(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', 'test/**/*.test.ts'], {
      stdio: 'inherit',
      env: { ...env, CHAT4ALL_TEST_MODES: modes.join(',') },
    });
    return await new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  } finally {
    if (started.length > 0) services('stop', started);
  }
}

process.exitCode = await main();
