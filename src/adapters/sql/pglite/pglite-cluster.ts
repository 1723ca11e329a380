import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const INITDB = fileURLToPath(new URL('./pglite-initdb.ts', import.meta.url));

/** PGlite's own test: it runs initdb when its data directory has no PG_VERSION, and resumes otherwise. */
const hasCluster = (dir: string) => existsSync(path.join(dir, 'PG_VERSION'));

/**
 * Gives `dir` a PostgreSQL cluster if it has none yet; the caller holds the data dir's lock. initdb runs in a
 * process of its own (pglite-initdb.ts) because the hundreds of MB it takes stay resident in whatever process
 * ran it, until that process exits. It runs in a sibling directory that becomes `dir` only once initdb succeeded:
 * initdb writes PG_VERSION early, so a first start killed half way would otherwise leave a directory PGlite
 * takes for a cluster and cannot open.
 */
export async function ensureCluster(dir: string): Promise<void> {
  if (hasCluster(dir)) return;
  const parent = path.dirname(dir);
  const prefix = `${path.basename(dir)}.initdb-`;
  for (const entry of await readdir(parent)) {
    // left by a first start that was killed
    if (entry.startsWith(prefix)) await rm(path.join(parent, entry), { recursive: true, force: true });
  }
  const fresh = await mkdtemp(path.join(parent, prefix));
  try {
    await runInitdb(fresh);
    // Without PG_VERSION, whatever `dir` holds is no cluster (PGlite would have run initdb over it).
    await rm(dir, { recursive: true, force: true });
    await rename(fresh, dir);
  } catch (error) {
    await rm(fresh, { recursive: true, force: true });
    throw error;
  }
}

/** Runs initdb into `dir` in a process of its own; exported for the tests' template cluster (test/support). */
export function runInitdb(dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...childExecArgv(), INITDB, dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) return resolve();
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      reject(new Error(`initdb of the embedded database (${INITDB}) ${how}${stderr.trim() ? `:\n${stderr.trim()}` : ''}`));
    });
  });
}

/**
 * The hub's Node flags (an --import, memory limits) suit the child too, except those that would make it debug on
 * the hub's port, run tests, watch files or evaluate the hub's -e code instead of running initdb.
 */
function childExecArgv(): string[] {
  const flags: string[] = [];
  for (let i = 0; i < process.execArgv.length; i++) {
    const flag = process.execArgv[i]!;
    if (/^(-e|-p|--eval|--print)$/.test(flag)) i++; // and the code that follows
    else if (!/^--(inspect|debug|test|watch|eval|print)/.test(flag)) flags.push(flag);
  }
  return flags;
}
