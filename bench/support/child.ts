import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Where benchmark children write their output: kept out of the repository, looked at when a run fails. */
export const LOG_DIR = path.join(tmpdir(), 'chat4all-bench-logs');

const START_TIMEOUT_MS = 90_000;

/**
 * A child process whose output goes to a log file (never into this process's memory: a hub at info level
 * writes megabytes per run), started once its output matches `ready`.
 */
export class BenchChild {
  readonly name: string;
  readonly logFile: string;
  readonly #child: ChildProcess;

  private constructor(name: string, logFile: string, child: ChildProcess) {
    this.name = name;
    this.logFile = logFile;
    this.#child = child;
  }

  static async start(name: string, command: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<{ child: BenchChild; match: RegExpExecArray }> {
    mkdirSync(LOG_DIR, { recursive: true });
    const logFile = path.join(LOG_DIR, `${name.replace(/[^A-Za-z0-9.-]+/g, '-')}-${Date.now()}.log`);
    // The child writes straight into the file: a pipe read by this process could fill up and stall the
    // child's synchronous writes whenever this process is busy, which would measure us, not the hub.
    const fd = openSync(logFile, 'w');
    const child = spawn(command[0]!, command.slice(1), { env, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const match = await new Promise<RegExpExecArray>((resolve, reject) => {
      const started = Date.now();
      const poll = setInterval(() => {
        const text = readFileSync(logFile, 'utf8');
        const found = ready.exec(text);
        if (found) return done(() => resolve(found));
        if (child.exitCode !== null || child.signalCode !== null) return done(() => reject(failure(`exited (${child.exitCode ?? child.signalCode}) before it was ready`, text)));
        if (Date.now() - started > START_TIMEOUT_MS) {
          child.kill('SIGKILL');
          done(() => reject(failure(`did not start in ${START_TIMEOUT_MS / 1000} s`, text)));
        }
      }, 50);
      const done = (settle: () => void) => {
        clearInterval(poll);
        settle();
      };
      const failure = (why: string, text: string) => new Error(`${name} ${why}; output in ${logFile}:\n${text.slice(-2_000)}`);
    });
    return { child: new BenchChild(name, logFile, child), match };
  }

  get pid(): number {
    return this.#child.pid!;
  }

  /** Sends `signal` and waits for the exit; after `graceMs` it kills. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 20_000): Promise<void> {
    const child = this.#child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

/** Runs a Node script to completion and parses the JSON it prints last on stdout (load generators). */
export function runJson<T>(script: string, input: unknown, options: { timeoutMs: number }): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').at(-1) ?? '';
      try {
        if (code !== 0) throw new Error(`exit ${code}`);
        resolve(JSON.parse(last) as T);
      } catch (error) {
        reject(new Error(`${script} failed (${(error as Error).message}): ${out.slice(-2_000)}`));
      }
    });
    child.stdin.end(JSON.stringify(input));
  });
}

/** Reads the JSON a load generator was given on stdin. */
export async function readInput<T>(): Promise<T> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return JSON.parse(text) as T;
}
