/**
 * Run by `npm ci` and `npm install` (postinstall): fills Node's compile cache with the hub's modules, so that the
 * first `chat4all` process already finds every one of them there and never loads Node's type stripper (src/cli.ts
 * says why that matters). V8 keeps one cache per set of V8 flags, so each set `chat4all` restarts with is warmed:
 * `chat4all help` under it, with every other module of the hub imported first. Never fails the install: the cache
 * only saves memory and start-up time.
 */
import { spawnSync } from 'node:child_process';
import module from 'node:module';
import { fileURLToPath } from 'node:url';
import { runtimeFlags } from '../src/runtime-flags.ts';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const imports = fileURLToPath(new URL('./import-hub-modules.ts', import.meta.url));

module.enableCompileCache();
const directory = module.getCompileCacheDir();
const databases = [{}, { DATABASE_URL: 'postgres://localhost/any' }];
const flagSets = new Map(
  databases.flatMap((env) => ['start', 'relay'].map((command) => runtimeFlags(command, env))).map((flags) => [flags.join(' '), flags]),
);
for (const flags of directory ? flagSets.values() : []) {
  // The flags are given here, so the command must not restart itself with others (throughput: none).
  const run = spawnSync(process.execPath, [...flags, '--import', imports, cli, 'help'], {
    env: { ...process.env, NODE_COMPILE_CACHE: directory, CHAT4ALL_TUNE_FOR: 'throughput' },
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (run.status !== 0) {
    console.warn(`warm-compile-cache: skipped for flags [${flags.join(' ')}]: ${run.stderr.trim().split('\n').at(-1)}`);
  }
}
