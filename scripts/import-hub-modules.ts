/**
 * Loaded with `--import` by scripts/warm-compile-cache.ts: imports every module of the hub except those that run
 * something when loaded, so that the compile cache holds the ones the command line loads only when it needs them
 * (database, bus and storage adapters).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const src = fileURLToPath(new URL('../src/', import.meta.url));
/** The command line, and the entry point of the child process that runs PGlite's initdb. */
const RUN_WHEN_LOADED = new Set(['cli.ts', 'commands.ts', path.join('adapters', 'sql', 'pglite', 'pglite-initdb.ts')]);

for (const file of readdirSync(src, { recursive: true, encoding: 'utf8' })) {
  if (file.endsWith('.ts') && !RUN_WHEN_LOADED.has(file)) await import(pathToFileURL(path.join(src, file)).href);
}
