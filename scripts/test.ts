/**
 * `npm test`: runs every test file with node:test, the contract suite once per mode.
 *
 * - embedded: always.
 * - distributed (PostgreSQL + Apache Kafka): uses KAFKA_BOOTSTRAP_SERVERS when it is set; otherwise starts Kafka
 *   with scripts/services.sh (and stops it afterwards). Without Java, the distributed suites are skipped with a
 *   loud message; with Java, a service that fails to start fails the run.
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

async function main(): Promise<number> {
  const modes = ['embedded'];
  const env: NodeJS.ProcessEnv = { ...process.env, CHAT4ALL_TEST_PG_URL: PG_URL };
  let startedServices = false;
  if (!(await postgresReachable())) {
    loud(`Distributed suites SKIPPED: PostgreSQL is not reachable at ${PG_URL} (set CHAT4ALL_TEST_PG_URL).`);
  } else if (process.env.KAFKA_BOOTSTRAP_SERVERS) {
    modes.push('distributed');
  } else if (!hasJava()) {
    loud('Distributed (Kafka) suites SKIPPED: no Java on this machine, so scripts/services.sh cannot run Kafka.');
  } else {
    services('start');
    startedServices = true;
    env.KAFKA_BOOTSTRAP_SERVERS = servicesEnv().KAFKA_BOOTSTRAP_SERVERS;
    modes.push('distributed');
  }
  process.stdout.write(`Test modes: ${modes.join(', ')}\n`);
  try {
    const child = spawn(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', 'test/**/*.test.ts'], {
      stdio: 'inherit',
      env: { ...env, CHAT4ALL_TEST_MODES: modes.join(',') },
    });
    return await new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  } finally {
    if (startedServices) services('stop');
  }
}

process.exitCode = await main();
