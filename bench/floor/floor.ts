import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createDatabase, distributedState, dropDatabase, type TestMode } from '../../test/support/test-modes.ts';
import { BenchChild } from '../support/child.ts';
import { pidsNamed, type CpuGroups } from '../support/cpu.ts';
import { freshState } from '../support/deployment.ts';

const SERVER = fileURLToPath(new URL('floor-server.ts', import.meta.url));

export interface Floor {
  url: string;
  cpuGroups: CpuGroups;
  stop(): Promise<void>;
}

/** The floor app on the mode's database: a fresh PGlite directory, or a fresh database on the PostgreSQL server. */
export async function startFloor(mode: TestMode): Promise<Floor> {
  const dir = await freshState();
  const state = distributedState(dir);
  if (mode === 'distributed') await createDatabase(state.database);
  const env = mode === 'embedded' ? { FLOOR_DB: 'pglite', FLOOR_DIR: dir } : { FLOOR_DB: 'pg', FLOOR_URL: state.url };
  const { child, match } = await BenchChild.start(`floor-${mode}`, [process.execPath, SERVER], { ...process.env, ...env }, /floor listening on (\S+)/);
  return {
    url: match[1]!,
    cpuGroups: { hub: () => [child.pid], ...(mode === 'distributed' ? { postgres: () => pidsNamed(/^postgres$/) } : {}) },
    async stop() {
      await child.stop();
      await rm(dir, { recursive: true, force: true });
      if (mode === 'distributed') await dropDatabase(state.database);
    },
  };
}
