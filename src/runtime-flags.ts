import module from 'node:module';
import { ConfigError, runtimeSettings } from './config.ts';

/**
 * Flags V8 reads only when a process starts, so `chat4all` restarts itself with them (process.execve: the same
 * process, pid and standard streams, a fresh V8) before it loads anything else. With CHAT4ALL_TUNE_FOR=memory
 * (an option; the default, throughput, runs with Node's own settings), what a 250 MB budget of the API while it
 * streams 2 GB files needs:
 *
 * - `--max-semi-space-size=1` where the API runs: with Node's default young generation (semi-spaces of up to
 *   16 MiB and more) the 64 KiB buffers of file traffic piled up as 60-100 MB of garbage between collections.
 * - `--heap-growing-percent=100` there too: what file traffic promotes to the old generation is garbage, and with
 *   V8's own growing factor (up to 4x the live heap) no full collection ran during a 2 GiB upload, whose old
 *   generation grew by 30 MiB over a live 20. 100 % still leaves full collections rare; at 50 % and less they
 *   sometimes ran back to back, doubling the CPU of a download.
 * - `--external-memory-accounted-in-global-limit` there too: the buffers of file traffic live outside V8's heap,
 *   and on their own limit a collection only started once some 64 MB more of them were held; counted with the
 *   heap, they start one when the whole has doubled. The API on S3 peaked 20-40 MiB lower, with less CPU.
 * - `--liftoff-only` where PGlite runs (embedded mode): V8's optimising compiler took some 500 MB for seconds while
 *   compiling PostgreSQL's WebAssembly after start-up, and the idle hub held 353 MiB with its code, 266 without.
 *
 * Each costs CPU (a quarter of the embedded hub's throughput): BENCHMARKS.md has the figures both ways.
 */
const API_FLAGS = ['--max-semi-space-size=1', '--heap-growing-percent=100', '--external-memory-accounted-in-global-limit'];

/**
 * The API role alone on PostgreSQL, by default: no pipeline shares its heap, and V8 grew its young generation to
 * semi-spaces of 32 MiB under file traffic, so a 2 GiB upload raised its RSS by 64-109 MiB over idle; with 4 MiB,
 * 23-46 MiB, at the same accept rate (bench/files-upload.ts and the accept section, 2026-12-03). Where the
 * pipeline runs in the same process (`npm start`, embedded `api`) Node's default stays.
 */
const API_ALONE_FLAGS = ['--max-semi-space-size=4'];

export function runtimeFlags(command: string | undefined, env: NodeJS.ProcessEnv): string[] {
  let settings: ReturnType<typeof runtimeSettings>;
  try {
    settings = runtimeSettings(env);
  } catch (error) {
    // The command itself reports a bad setting, with the rest of the configuration.
    if (error instanceof ConfigError) return [];
    throw error;
  }
  if (settings.tuneFor === 'throughput') return command === 'api' && !settings.embedded ? API_ALONE_FLAGS : [];
  const flags: string[] = [];
  if (command === 'api' || command === 'start') flags.push(...API_FLAGS);
  if (settings.embedded) flags.push('--liftoff-only');
  return flags;
}

/**
 * Glibc's allocator keeps what a thread freed in that thread's arena, one arena per thread up to eight per core;
 * two arenas held the embedded hub's peak during 1 GiB uploads 3-20 MiB lower. Read by glibc at start-up, so set
 * for the restart; a value already in the environment stays.
 */
const ALLOCATOR_ENV = { MALLOC_ARENA_MAX: '2' };

/** Returns when the process already runs with its flags (or cannot restart itself, e.g. on Windows). */
export function relaunchWithRuntimeFlags(): void {
  const missing = runtimeFlags(process.argv[2], process.env).filter((flag) => !process.execArgv.includes(flag));
  if (missing.length === 0 || typeof process.execve !== 'function') return;
  // The restarted process reads its own modules from the compile cache that cli.ts enabled, from its first one on.
  const compileCache = module.getCompileCacheDir();
  const env = { ...ALLOCATOR_ENV, ...(compileCache ? { NODE_COMPILE_CACHE: compileCache } : {}), ...process.env };
  process.execve(process.execPath, [process.execPath, ...missing, ...process.execArgv, ...process.argv.slice(1)], env);
}
