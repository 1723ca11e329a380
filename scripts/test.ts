/**
 * `npm test`: runs every test file with node:test, the contract suite once per mode.
 *
 * - embedded: always; files on local disk.
 * - distributed (PostgreSQL + Apache Kafka + S3-compatible storage + Redis): uses KAFKA_BOOTSTRAP_SERVERS, S3_ENDPOINT
 *   (with S3_ACCESS_KEY, S3_SECRET_KEY) and REDIS_URL when they are set; otherwise starts what is missing (Kafka,
 *   S3Proxy, Redis) with scripts/services.sh and stops it afterwards. Without Java, whatever needs a service that cannot start is
 *   skipped with a loud message; with Java, a service that fails to start fails the run.
 *
 * Embedded hubs start on a copy of one cluster initialised here (test/support/pglite-template.ts says why).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runInitdb } from '../src/adapters/sql/pglite/pglite-cluster.ts';
import { TEMPLATE_ENV } from '../test/support/pglite-template.ts';
import { ensureChromium } from './chromium.ts';
import { localServices, loud } from './local-services.ts';

async function main(): Promise<number> {
  const template = mkdtempSync(path.join(tmpdir(), 'chat4all-test-template-'));
  try {
    await runInitdb(path.join(template, 'pglite'));
  } catch (error) {
    rmSync(template, { recursive: true, force: true });
    throw error;
  }
  const chromiumWarning = ensureChromium();
  const services = await localServices(['kafka', 's3', 'redis']);
  const modes = services.distributed ? ['embedded', 'distributed'] : ['embedded'];
  for (const warning of [...services.warnings, ...(chromiumWarning ? [chromiumWarning] : [])]) loud(warning);
  const env: NodeJS.ProcessEnv = { ...process.env, ...services.env };
  env[TEMPLATE_ENV] = path.join(template, 'pglite');
  process.stdout.write(`Test modes: ${modes.join(', ')} (files: embedded on disk${modes.includes('distributed') ? `, distributed on ${env.S3_ENDPOINT ? `S3 at ${env.S3_ENDPOINT}` : 'disk'}` : ''})\n`);
  try {
    const child = spawn(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', 'test/**/*.test.ts'], {
      stdio: 'inherit',
      env: { ...env, CHAT4ALL_TEST_MODES: modes.join(',') },
    });
    return await new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  } finally {
    services.stop();
    rmSync(template, { recursive: true, force: true });
  }
}

process.exitCode = await main();
