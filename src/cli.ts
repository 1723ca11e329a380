/**
 * The `chat4all` command (commands.ts), started with the V8 flags its command needs.
 *
 * The compile cache keeps each module as Node compiled it, TypeScript already stripped: a process that finds
 * all of its modules there never loads Node's type stripper, whose WebAssembly holds 17 MiB for the process's
 * life. `npm ci` fills it (scripts/warm-compile-cache.ts); a module changed since is stripped once, then cached.
 */
import module from 'node:module';
import { loadEnvFile } from './env-file.ts';
import { relaunchWithRuntimeFlags } from './runtime-flags.ts';

module.enableCompileCache();
loadEnvFile();
relaunchWithRuntimeFlags();
await import('./commands.ts');
