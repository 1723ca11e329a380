import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ExitedBeforeStart, HubChild } from './hub-child.ts';
import { seedCluster } from './pglite-template.ts';
import { deleteBucket, s3Env } from './s3-buckets.ts';
import { createDatabase, deleteTopics, distributedState, dropDatabase, type TestMode } from './test-modes.ts';

export interface HubOptions {
  /** Extra environment variables for the hub. */
  env?: Record<string, string>;
  /** Reuse a data directory (e.g. after a restart); a fresh one is made otherwise. */
  dataDir?: string;
  /** CLI arguments; `start` (every role) by default. */
  args?: string[];
  /** embedded (default) or distributed: PostgreSQL + Kafka, with a database and topics of its own. */
  mode?: TestMode;
  /** The working directory, where the hub looks for its .env; the runner's by default. */
  cwd?: string;
  /** What runs the CLI, `args` after it, e.g. ['npm', 'start'] with no args; the repo's Node on src/cli.ts by default. */
  program?: string[];
}

/**
 * A real hub in a child process on a random port with its own data directory, as a user would run it.
 * Collects stdout so tests can look for the connectors' delivery lines.
 */
export class HubProcess extends HubChild {
  readonly url: string;
  readonly dataDir: string;
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
    super(child, output);
    this.url = url;
    this.dataDir = dataDir;
    this.mode = mode;
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
      // A runner pointed at a secured broker (TLS, SASL) points its hubs there the same way.
      ...Object.fromEntries(Object.entries(process.env).filter(([name]) => /^KAFKA_(SSL|SASL)_?\w*$/.test(name))),
      ...s3Env(state.bucket),
      // Rate-limit counters in the runner's Redis (shared by the hub's API processes), under the hub's own prefix.
      ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL, REDIS_KEY_PREFIX: `${state.database}:` } : {}),
    };
  }

  /** A new, empty data dir for `mode`; embedded, with the test run's freshly initialised cluster in it. */
  static async freshDataDir(mode: TestMode, prefix = 'chat4all-test-'): Promise<string> {
    const dataDir = await mkdtemp(path.join(tmpdir(), prefix));
    if (mode === 'embedded') await seedCluster(dataDir);
    return dataDir;
  }

  static async start(options: HubOptions = {}): Promise<HubProcess> {
    const owns = options.dataDir === undefined;
    const mode = options.mode ?? 'embedded';
    const dataDir = options.dataDir ?? (await HubProcess.freshDataDir(mode));
    const env = { ...(await HubProcess.stateEnv(dataDir, mode)), HOST: '127.0.0.1', PORT: '0', ...options.env };
    const { child, output, match } = await HubChild.launch(options.args ?? ['start'], env, /listening on (http:\/\/\S+)/, options.cwd, options.program);
    return new HubProcess(match[1]!, dataDir, mode, child, output, owns);
  }

  /**
   * Starts a hub that should refuse to: resolves with its exit code and output once it exits. One that starts
   * listening instead is stopped, and the promise rejects. Give `dataDir` (removing it is the caller's part).
   */
  static async refusal(options: HubOptions & { dataDir: string }): Promise<{ code: number | NodeJS.Signals | null; output: string }> {
    let hub: HubProcess;
    try {
      hub = await HubProcess.start(options);
    } catch (error) {
      if (error instanceof ExitedBeforeStart) return { code: error.code, output: error.output };
      throw error;
    }
    await hub.kill('SIGTERM');
    throw new Error(`the hub started (${hub.url}) where it should have refused to; its output:\n${hub.output.slice(-4_000)}`);
  }

  /**
   * Stops the hub gracefully and removes its data directory if this harness made it. A hub that had exited on its
   * own fails the test with its output: otherwise a crash shows only as the next request's "other side closed".
   */
  async stop(): Promise<void> {
    const crashed = this.exitedOnItsOwn;
    await this.kill('SIGTERM');
    if (this.#ownsDataDir) await HubProcess.removeState(this.dataDir, this.mode);
    if (crashed) throw new Error(`the hub exited on its own before the test stopped it; its last output:\n${this.output.slice(-4_000)}`);
  }

  /** Deletes the state named by `dataDir`: the directory, and in distributed mode the database. */
  static async removeState(dataDir: string, mode: TestMode): Promise<void> {
    await rm(dataDir, { recursive: true, force: true });
    if (mode === 'distributed') {
      const state = distributedState(dataDir);
      await dropDatabase(state.database);
      await deleteTopics(state.topicPrefix);
      await deleteBucket(state.bucket);
    }
  }
}
