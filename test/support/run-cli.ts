import { execFile, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TEST_SETTINGS } from './hub-child.ts';
import { HubProcess } from './hub-process.ts';
import type { TestMode } from './test-modes.ts';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const TIMEOUT_MS = 60_000;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** More for one run: variables set after the test settings, a longer bound for a command that waits. */
export interface CliOptions {
  env?: Record<string, string>;
  timeoutMs?: number;
  /** What runs the CLI, e.g. another Node on bin/chat4all.js; the repo's Node on src/cli.ts by default. */
  program?: string[];
}

/** The CLI's environment for the state named by `dataDir` in `mode` (in distributed mode, its own database and topics). */
async function cliEnv(dataDir: string, mode: TestMode, extra: Record<string, string> = {}): Promise<NodeJS.ProcessEnv> {
  // the runner's own service settings must not leak into the CLI: stateEnv says which state it uses
  const { DATABASE_URL: _database, KAFKA_BOOTSTRAP_SERVERS: _kafka, KAFKA_TOPIC_PREFIX: _prefix, ...env } = process.env;
  return { ...env, ...(await HubProcess.stateEnv(dataDir, mode)), ...TEST_SETTINGS, ...extra };
}

/** Runs the chat4all CLI with the repo's Node on the state named by `dataDir` in `mode`; resolves with its exit code and output. */
export async function runCli(dataDir: string, mode: TestMode, args: string[], options: CliOptions = {}): Promise<CliResult> {
  const env = await cliEnv(dataDir, mode, options.env);
  return new Promise((resolve) => {
    const [command, ...leading] = options.program ?? [process.execPath, CLI];
    execFile(command!, [...leading, ...args], { env, timeout: options.timeoutMs ?? TIMEOUT_MS }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/**
 * util-linux `script`, which runs a command on a pseudo-terminal of its own: how a test sits at a terminal.
 * Other systems' `script` takes other options.
 */
export const terminalAvailable = /util-linux/.test(spawnSync('script', ['--version'], { encoding: 'utf8' }).stdout ?? '');

/**
 * Runs the CLI at a terminal that echoes what is typed, as terminals do, types `typed` and Enter once it asks
 * for a password, and resolves with its exit code and everything the terminal showed.
 */
export async function runCliAtTerminal(dataDir: string, mode: TestMode, args: string[], typed: string): Promise<{ code: number; screen: string }> {
  const command = [process.execPath, CLI, ...args].map((word) => `'${word.replaceAll("'", `'\\''`)}'`).join(' ');
  const child = spawn('script', ['--quiet', '--return', '--echo', 'always', '--command', command, '/dev/null'], {
    env: await cliEnv(dataDir, mode),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let screen = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const prompted = !screen.includes('Password:') && (screen + chunk).includes('Password:');
    screen += chunk;
    if (prompted) child.stdin.write(`${typed}\r`);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
  const code = await new Promise<number>((resolve) => child.once('close', (exit) => resolve(exit ?? 1)));
  clearTimeout(timer);
  return { code, screen };
}
