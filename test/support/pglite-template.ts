/**
 * A freshly initialised embedded cluster, made once per `npm test` run (scripts/test.ts) and copied into each
 * fresh data dir: PGlite's initdb takes some 6 s, and the suite starts over a hundred embedded hubs and CLI runs.
 * What a hub does after initdb (migrations, demo users) still runs in each; embedded-first-start.test.ts runs
 * initdb itself, on data dirs of its own.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where scripts/test.ts tells each test process the template is. */
export const TEMPLATE_ENV = 'CHAT4ALL_TEST_PGLITE_TEMPLATE';

const INITDB = fileURLToPath(new URL('../../src/adapters/sql/pglite/pglite-initdb.ts', import.meta.url));

/** Runs the hub's own initdb (the child process a first start runs) into `dir`. */
export function makeTemplate(dir: string): void {
  const run = spawnSync(process.execPath, [INITDB, dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (run.status !== 0) throw new Error(`initdb of the test template in ${dir} failed (${run.signal ?? `exit ${run.status}`})`);
}

/** Gives the embedded data dir `dataDir` the template's cluster, when this run has one. */
export async function seedCluster(dataDir: string): Promise<void> {
  const template = process.env[TEMPLATE_ENV];
  if (template && existsSync(template)) await cp(template, path.join(dataDir, 'pglite'), { recursive: true });
}
