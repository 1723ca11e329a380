import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TEST_SETTINGS } from './hub-child.ts';
import { HubProcess } from './hub-process.ts';
import type { TestMode } from './test-modes.ts';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the chat4all CLI with the repo's Node on the state named by `dataDir` in `mode` (in distributed mode,
 * that state's own PostgreSQL database and Kafka topics); resolves with its exit code and output.
 */
export async function runCli(dataDir: string, mode: TestMode, args: string[]): Promise<CliResult> {
  // the runner's own service settings must not leak into the CLI: stateEnv says which state it uses
  const { DATABASE_URL: _database, KAFKA_BOOTSTRAP_SERVERS: _kafka, KAFKA_TOPIC_PREFIX: _prefix, ...env } = process.env;
  const stateEnv = await HubProcess.stateEnv(dataDir, mode);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      {
        env: { ...env, ...stateEnv, ...TEST_SETTINGS },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

