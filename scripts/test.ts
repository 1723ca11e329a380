/**
 * `npm test`: runs every test file with node:test, the contract suite once per mode.
 *
 * - embedded: always.
 * - distributed (PostgreSQL + Apache Kafka): uses KAFKA_BOOTSTRAP_SERVERS when it is set; otherwise starts Kafka
 *   with scripts/services.sh (and stops it afterwards). Without Java, the distributed suites are skipped with a
 *   loud message; with Java, a service that fails to start fails the run.
 */
import { spawn } from 'node:child_process';
import { localServices, loud } from './local-services.ts';

async function main(): Promise<number> {
  const services = await localServices();
  const modes = services.distributed ? ['embedded', 'distributed'] : ['embedded'];
  if (services.skipped) loud(`Distributed suites SKIPPED: ${services.skipped}`);
  process.stdout.write(`Test modes: ${modes.join(', ')}\n`);
  try {
    const child = spawn(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', 'test/**/*.test.ts'], {
      stdio: 'inherit',
      env: { ...process.env, ...services.env, CHAT4ALL_TEST_MODES: modes.join(',') },
    });
    return await new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  } finally {
    services.stop();
  }
}

process.exitCode = await main();
