import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ApiClient, waitFor } from '../support/api-client.ts';
import { HubProcess } from '../support/hub-process.ts';
import { testModes } from '../support/test-modes.ts';

/** The process running a first start's initdb for `dataDir` (and the hub's pid), once `ready` holds for the directory it writes. */
async function initdbProcess(dataDir: string, ready: (dir: string) => boolean): Promise<{ pid: number; hub: number }> {
  return waitFor(
    async () => {
      for (const entry of readdirSync('/proc')) {
        try {
          const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
          const dir = argv.at(-2);
          if (!argv.some((arg) => arg.endsWith('pglite-initdb.ts')) || !dir?.startsWith(dataDir)) continue;
          if (!ready(dir)) return undefined;
          const hub = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
          return { pid: Number(entry), hub };
        } catch {
          // the process ended while we looked
        }
      }
      return undefined;
    },
    { what: `initdb in ${dataDir}`, timeoutMs: 30_000, intervalMs: 10 },
  );
}

// Embedded only: in distributed mode PostgreSQL's cluster exists before any hub starts.
if (testModes.includes('embedded')) describe('a first start interrupted during initdb [embedded]', () => {
  it('fails with a message naming initdb when initdb is killed, and leaves nothing behind', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'chat4all-first-start-'));
    try {
      const starting = HubProcess.start({ dataDir });
      process.kill((await initdbProcess(dataDir, () => true)).pid, 'SIGKILL');
      await assert.rejects(starting, /initdb[^\n]*killed by SIGKILL/);
      assert.deepEqual(readdirSync(dataDir), []);
    } finally {
      await HubProcess.removeState(dataDir, 'embedded');
    }
  });

  // PGlite's initdb builds the cluster in memory and writes it out at its end, so the window in which a kill leaves a
  // cluster PGlite cannot open (PG_VERSION written, the rest not yet) is too short to hit on purpose; this checks
  // that a half-written initdb directory is no obstacle to the next start.
  it('starts cleanly on the same data dir after the hub and its initdb were killed once initdb wrote files', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'chat4all-first-start-'));
    let hub: HubProcess | undefined;
    try {
      const starting = HubProcess.start({ dataDir });
      const initdb = await initdbProcess(dataDir, (dir) => existsSync(path.join(dir, 'PG_VERSION')));
      process.kill(initdb.hub, 'SIGKILL');
      process.kill(initdb.pid, 'SIGKILL');
      await assert.rejects(starting, /SIGKILL/);

      hub = await HubProcess.start({ dataDir });
      const client = new ApiClient(hub.url);
      const [alice, bob] = await Promise.all([client.login('user1'), client.login('user2')]);
      assert.ok(await alice.createConversation('private', [alice.userId, bob.userId]));
      assert.deepEqual(readdirSync(dataDir).filter((entry) => entry.startsWith('pglite')), ['pglite']);
    } finally {
      await hub?.kill('SIGTERM');
      await HubProcess.removeState(dataDir, 'embedded');
    }
  });
});
