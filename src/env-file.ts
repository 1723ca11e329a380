import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { ConfigError } from './config.ts';

/** Names another env file, or /dev/null for none; read from the real environment only. */
export const ENV_FILE_VARIABLE = 'CHAT4ALL_ENV_FILE';

/**
 * Adds to `env` the settings of an env file (`KEY=value` lines, as docker compose reads them) that `env` does not
 * have: a variable of the real environment wins over the file, unless it is empty, which counts as unset here as
 * everywhere in the configuration. The file is `.env` in `cwd`,
 * where compose looks for it too, or the one CHAT4ALL_ENV_FILE names. A missing `.env` is no error; a file named
 * on purpose that cannot be read is. Returns the file read, if any.
 */
export function applyEnvFile(env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  const named = env[ENV_FILE_VARIABLE] || undefined;
  const file = path.resolve(cwd, named ?? '.env');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (named === undefined && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError(`${named === undefined ? 'the env file' : ENV_FILE_VARIABLE} ${file} cannot be read (${reason})`);
  }
  for (const [name, value] of Object.entries(parseEnv(text))) {
    if (name !== ENV_FILE_VARIABLE && !env[name]) env[name] = value;
  }
  return file;
}

/**
 * The command line's first step, before the V8 flags are chosen: the file may set CHAT4ALL_TUNE_FOR or
 * DATABASE_URL, which choose them. A file that cannot be read stops the command as a bad setting does.
 */
export function loadEnvFile(): void {
  try {
    applyEnvFile(process.env, process.cwd());
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`chat4all: ${error.message}\n`);
    process.exit(1);
  }
}
