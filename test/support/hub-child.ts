import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
/** Where `npm start` and the other scripts run. */
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const START_TIMEOUT_MS = 60_000;

/** What points a process at shared services: set per hub by `env`, never inherited from the runner. */
export const SERVICE_VARIABLES = /^(DATABASE_URL|KAFKA_\w+|S3_\w+|REDIS_\w+)$/;

/**
 * Speed-ups that change no behaviour: cheap hashes, quick polls, and V8's defaults instead of the memory tuning
 * (runtime-tuning.test.ts runs that one), whose baseline-compiled PGlite made the suite a third slower. No env
 * file either: a developer's .env in the working directory must not reach the hubs under test (env-file.test.ts
 * names one on purpose).
 */
export const TEST_SETTINGS = {
  BCRYPT_ROUNDS: '4',
  CHAT4ALL_POLL_INTERVAL_MS: '50',
  LOG_LEVEL: 'warn',
  NODE_ENV: 'test',
  CHAT4ALL_TUNE_FOR: 'throughput',
  CHAT4ALL_ENV_FILE: '/dev/null',
};

/** Production refuses bcrypt costs under 10: its hubs get the cheapest it takes, unless a test says otherwise. */
const settingsFor = (env: Record<string, string>) => ({
  ...TEST_SETTINGS,
  ...(env.NODE_ENV === 'production' ? { BCRYPT_ROUNDS: '10' } : {}),
  ...env,
});

/** A command that exited before its output matched `ready`: its exit code and everything it printed. */
export class ExitedBeforeStart extends Error {
  readonly code: number | NodeJS.Signals | null;
  readonly output: string;

  constructor(name: string, code: number | NodeJS.Signals | null, output: string) {
    super(`${name} exited (${code}) before it started:\n${output}`);
    this.code = code;
    this.output = output;
  }
}

/**
 * One `chat4all` command in a child process, with everything it prints collected, started once its output
 * matches `ready`. The runner's own service settings never leak in: `env` says which state it uses.
 */
export class HubChild {
  readonly #child: ChildProcess;
  readonly #output: { text: string };
  #signalled = false;

  protected constructor(child: ChildProcess, output: { text: string }) {
    this.#child = child;
    this.#output = output;
  }

  /**
   * Spawns the CLI (`program`, then `args`; the repo's Node on src/cli.ts unless told otherwise, e.g. `npm start`)
   * in the repo's directory, and resolves with the child and the match of `ready` in its output.
   */
  protected static async launch(
    args: string[],
    env: Record<string, string>,
    ready: RegExp,
    cwd?: string,
    program: readonly string[] = [process.execPath, CLI],
  ): Promise<{ child: ChildProcess; output: { text: string }; match: RegExpExecArray }> {
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !SERVICE_VARIABLES.test(name)));
    const [command, ...leading] = program;
    const child = spawn(command!, [...leading, ...args], {
      cwd: cwd ?? REPO,
      env: { ...inherited, ...settingsFor(env) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = { text: '' };
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output.text += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output.text += chunk));
    const name = args.join(' ') || program.join(' ');
    const match = await new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${name} did not start in ${START_TIMEOUT_MS / 1000} s:\n${output.text}`));
      }, START_TIMEOUT_MS);
      const onData = () => {
        const found = ready.exec(output.text);
        if (!found) return;
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.stderr!.off('data', onData);
        child.off('close', onExit);
        resolve(found);
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        clearTimeout(timer);
        reject(new ExitedBeforeStart(name, code ?? signal, output.text));
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      // 'close', not 'exit': it comes once stdout and stderr are drained, so the output is whole.
      child.once('close', onExit);
    });
    return { child, output, match };
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get exited(): boolean {
    return this.#child.exitCode !== null || this.#child.signalCode !== null;
  }

  /** Exited without being told to: it crashed or gave up. */
  get exitedOnItsOwn(): boolean {
    return this.exited && !this.#signalled;
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
    this.#signalled = true;
    this.#child.kill(signal);
    return exited;
  }
}
