import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDatabase, deleteTopics, distributedState, dropDatabase, type TestMode } from './test-modes.ts';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

export interface HubOptions {
  /** Extra environment variables for the hub. */
  env?: Record<string, string>;
  /** Reuse a data directory (e.g. after a restart); a fresh one is made otherwise. */
  dataDir?: string;
  /** CLI arguments; `start` (every role) by default. */
  args?: string[];
  /** embedded (default) or distributed: PostgreSQL + Kafka, with a database and topics of its own. */
  mode?: TestMode;
}

/**
 * A real hub in a child process on a random port with its own data directory, as a user would run it.
 * Collects stdout so tests can look for the connectors' delivery lines.
 */
export class HubProcess {
  readonly url: string;
  readonly dataDir: string;
  readonly #child: ChildProcess;
  readonly #output: { text: string };
  readonly mode: TestMode;
  readonly #ownsDataDir: boolean;

  private constructor(
    url: string,
    dataDir: string,
    mode: TestMode,
    child: ChildProcess,
    output: { text: string },
    owns: boolean,
  ) {
    this.url = url;
    this.dataDir = dataDir;
    this.mode = mode;
    this.#child = child;
    this.#output = output;
    this.#ownsDataDir = owns;
  }

  /** The environment that points a hub (or the CLI) at the state named by `dataDir` in `mode`. */
  static async stateEnv(dataDir: string, mode: TestMode): Promise<Record<string, string>> {
    if (mode === 'embedded') return { CHAT4ALL_DATA_DIR: dataDir };
    const state = distributedState(dataDir);
    await createDatabase(state.database);
    return {
      CHAT4ALL_DATA_DIR: dataDir,
      DATABASE_URL: state.url,
      KAFKA_BOOTSTRAP_SERVERS: process.env.KAFKA_BOOTSTRAP_SERVERS ?? '127.0.0.1:9092',
      KAFKA_TOPIC_PREFIX: state.topicPrefix,
    };
  }

  static async start(options: HubOptions = {}): Promise<HubProcess> {
    const owns = options.dataDir === undefined;
    const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'chat4all-test-')));
    const mode = options.mode ?? 'embedded';
    const child = spawn(process.execPath, [CLI, ...(options.args ?? ['start'])], {
      env: {
        ...withoutHubSettings(process.env),
        ...(await HubProcess.stateEnv(dataDir, mode)),
        HOST: '127.0.0.1',
        PORT: '0',
        BCRYPT_ROUNDS: '4',
        CHAT4ALL_POLL_INTERVAL_MS: '50',
        LOG_LEVEL: 'warn',
        NODE_ENV: 'test',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = { text: '' };
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output.text += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output.text += chunk));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`hub did not start in 60 s:\n${output.text}`)), 60_000);
      const onData = () => {
        const match = /listening on (http:\/\/\S+)/.exec(output.text);
        if (match) {
          clearTimeout(timer);
          child.stdout!.off('data', onData);
          resolve(match[1]!);
        }
      };
      child.stdout!.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`hub exited with code ${code} before listening:\n${output.text}`));
      });
    });
    return new HubProcess(url, dataDir, mode, child, output, owns);
  }

  /** Everything the process printed so far (stdout and stderr). */
  get output(): string {
    return this.#output.text;
  }

  /** Output lines that contain `text`. */
  linesWith(text: string): string[] {
    return this.#output.text.split('\n').filter((line) => line.includes(text));
  }

  /** Sends a signal and waits for the process to exit; resolves with its exit code or signal. */
  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | NodeJS.Signals | null> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) {
      return this.#child.exitCode ?? this.#child.signalCode;
    }
    const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
      this.#child.once('exit', (code, sig) => resolve(code ?? sig)),
    );
    this.#child.kill(signal);
    return exited;
  }

  /** Stops the hub gracefully and removes its data directory if this harness made it. */
  async stop(): Promise<void> {
    await this.kill('SIGTERM');
    if (this.#ownsDataDir) await HubProcess.removeState(this.dataDir, this.mode);
  }

  /** Deletes the state named by `dataDir`: the directory, and in distributed mode the database. */
  static async removeState(dataDir: string, mode: TestMode): Promise<void> {
    await rm(dataDir, { recursive: true, force: true });
    if (mode === 'distributed') {
      const state = distributedState(dataDir);
      await dropDatabase(state.database);
      await deleteTopics(state.topicPrefix);
    }
  }
}

/** The runner's own service settings must not leak into a hub: each test says which state it uses. */
function withoutHubSettings(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { DATABASE_URL: _database, KAFKA_BOOTSTRAP_SERVERS: _kafka, KAFKA_TOPIC_PREFIX: _prefix, ...rest } = env;
  return rest;
}
