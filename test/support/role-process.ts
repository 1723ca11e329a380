import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { HubProcess } from './hub-process.ts';
import type { TestMode } from './test-modes.ts';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

/** The log line each non-API role prints once it is running (at LOG_LEVEL=info). */
const STARTED: Record<string, RegExp> = {
  relay: /Outbox relay started/,
  router: /Message router started/,
  connector: /mock connector started/,
};

export interface RoleOptions {
  /** The role and its arguments, e.g. ['router'] or ['connector', 'whatsapp']. */
  args: string[];
  /** The state it shares with the other processes of the deployment (same database and topic prefix). */
  dataDir: string;
  mode: TestMode;
  /** Extra environment variables; LOG_LEVEL stays info unless given, since the start line is an info line. */
  env?: Record<string, string>;
}

/**
 * One non-API role (relay, router, connector) in a child process. HubProcess waits for the API's
 * "listening on" line, which these roles never print; this waits for the role's own start log line instead.
 * It never owns the state: whoever made `dataDir` removes it (HubProcess.removeState).
 */
export class RoleProcess {
  readonly name: string;
  readonly #child: ChildProcess;
  readonly #output: { text: string };

  private constructor(name: string, child: ChildProcess, output: { text: string }) {
    this.name = name;
    this.#child = child;
    this.#output = output;
  }

  static async start(options: RoleOptions): Promise<RoleProcess> {
    const started = STARTED[options.args[0] ?? ''];
    if (!started) throw new Error(`RoleProcess runs relay, router or connector, not "${options.args.join(' ')}"`);
    const child = spawn(process.execPath, [CLI, ...options.args], {
      env: {
        ...withoutHubSettings(process.env),
        ...(await HubProcess.stateEnv(options.dataDir, options.mode)),
        BCRYPT_ROUNDS: '4',
        CHAT4ALL_POLL_INTERVAL_MS: '50',
        LOG_LEVEL: 'info',
        NODE_ENV: 'test',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = { text: '' };
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output.text += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output.text += chunk));
    const name = options.args.join(' ');
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${name} did not start in 60 s:\n${output.text}`));
      }, 60_000);
      const onData = () => {
        if (!started.test(output.text)) return;
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stderr!.off('data', onData);
        child.off('exit', onExit);
        resolve();
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited (${code ?? signal}) before it started:\n${output.text}`));
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', onExit);
    });
    return new RoleProcess(name, child, output);
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get exited(): boolean {
    return this.#child.exitCode !== null || this.#child.signalCode !== null;
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
    if (this.exited) return this.#child.exitCode ?? this.#child.signalCode;
    const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
      this.#child.once('exit', (code, sig) => resolve(code ?? sig)),
    );
    this.#child.kill(signal);
    return exited;
  }
}

/** As in HubProcess: the runner's own service settings must not leak into a role; stateEnv says which state. */
function withoutHubSettings(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { DATABASE_URL: _database, KAFKA_BOOTSTRAP_SERVERS: _kafka, KAFKA_TOPIC_PREFIX: _prefix, ...rest } = env;
  return rest;
}
