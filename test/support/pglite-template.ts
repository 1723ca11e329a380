/**
 * A freshly initialised embedded cluster, made once per `npm test` run by the hub's own initdb (scripts/test.ts,
 * with runInitdb from pglite-cluster.ts) and copied into each fresh data dir: PGlite's initdb takes some 6 s, and
 * the suite starts over a hundred embedded hubs and CLI runs. What a hub does after initdb (migrations, demo
 * users) still runs in each; embedded-first-start.test.ts runs initdb itself, on data dirs of its own.
 */
import { existsSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import path from 'node:path';

/** Where scripts/test.ts tells each test process the template is. */
export const TEMPLATE_ENV = 'CHAT4ALL_TEST_PGLITE_TEMPLATE';

/** Gives the embedded data dir `dataDir` the template's cluster, when this run has one. */
export async function seedCluster(dataDir: string): Promise<void> {
  const template = process.env[TEMPLATE_ENV];
  if (template && existsSync(template)) await cp(template, path.join(dataDir, 'pglite'), { recursive: true });
}
