import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { waitFor } from '../support/api-client.ts';
import { HubProcess } from '../support/hub-process.ts';
import { testModes } from '../support/test-modes.ts';

/** Graceful shutdown gives up after 20 s (commands.ts); a little more for the process to go. */
const STOPPED_WITHIN_MS = 25_000;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Stops npm and removes the hub's state; a hub that outlived npm (the failure tested here) is killed first. */
async function stop(hub: HubProcess, hubPid: number): Promise<void> {
  if (alive(hubPid)) process.kill(hubPid, 'SIGKILL');
  await hub.stop();
}

/** Whether this process can listen on the port now, as a restarted hub would. */
const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/**
 * npm runs a script through `sh -c`, and passes SIGINT and SIGTERM on to that child: the hub must be that child
 * (`exec`), or a signal to npm stops npm and sh and leaves the hub running, holding its port and data directory.
 * The hub is found by its lock on the embedded data directory, which names it: embedded only.
 */
describe('npm scripts: a signal to npm reaches the hub', { skip: !testModes.includes('embedded') && 'the hub is found by its embedded data directory lock' }, () => {
  const scripts = [
    { script: 'npm start', program: ['npm', 'start'], args: [] },
    { script: 'npm run chat4all -- start', program: ['npm', 'run', 'chat4all', '--'], args: ['start'] },
  ];
  for (const { script, program, args } of scripts) {
    it(`kill -TERM of ${script}'s npm stops the hub: its port and data directory are free`, async () => {
      const hub = await HubProcess.start({ program, args });
      const lock = path.join(hub.dataDir, 'chat4all.pid');
      const hubPid = Number(readFileSync(lock, 'utf8'));
      try {
        assert.notEqual(hubPid, hub.pid, 'npm runs the hub in a process of its own');
        await hub.kill('SIGTERM');
        await waitFor(async () => !alive(hubPid) && !existsSync(lock), { timeoutMs: STOPPED_WITHIN_MS, what: `the hub (pid ${hubPid}) gone and its lock removed` });
        assert.ok(await portFree(Number(new URL(hub.url).port)), 'the port is free');
      } finally {
        await stop(hub, hubPid);
      }
    });
  }

  it('Ctrl+C at the terminal of npm start (SIGINT to npm and to the hub) stops the hub gracefully: it removes its lock', async () => {
    // At info, the hub logs when it starts shutting down.
    const hub = await HubProcess.start({ program: ['npm', 'start'], args: [], env: { LOG_LEVEL: 'info' } });
    const lock = path.join(hub.dataDir, 'chat4all.pid');
    const hubPid = Number(readFileSync(lock, 'utf8'));
    try {
      await waitFor(async () => hub.output.includes('Running: '), { what: 'every role started' });
      // The terminal signals its whole foreground process group; npm passes its copy on to the hub as well, which
      // comes once the hub has taken the first (two sent at once would merge into one pending signal).
      process.kill(hubPid, 'SIGINT');
      await waitFor(async () => hub.output.includes('"msg":"shutting down"'), { what: 'the hub shutting down' });
      await hub.kill('SIGINT');
      // The lock goes last in a graceful shutdown; one that exits at once (a second Ctrl+C) leaves it behind.
      await waitFor(async () => !alive(hubPid), { timeoutMs: STOPPED_WITHIN_MS, what: `the hub (pid ${hubPid}) gone` });
      assert.equal(existsSync(lock), false, `the hub stopped gracefully:\n${hub.output.slice(-2_000)}`);
    } finally {
      await stop(hub, hubPid);
    }
  });
});
