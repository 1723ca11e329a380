import assert from 'node:assert/strict';
import { chmod, lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiClient } from '../support/api-client.ts';
import { TestFile, Uploader } from '../support/file-client.ts';
import { HubProcess } from '../support/hub-process.ts';
import { testModes } from '../support/test-modes.ts';

/** `file` and its mode when its permissions let anyone but its owner in; "" when they do not. */
async function openToOthers(file: string): Promise<string> {
  const mode = (await lstat(file)).mode & 0o777;
  return mode & 0o077 ? `${file}: 0o${mode.toString(8)}` : '';
}

for (const mode of testModes) describe(`the hub's files are its user's alone [${mode}]`, () => {
  let hub: HubProcess;
  let dataDir: string;

  before(async () => {
    dataDir = await HubProcess.freshDataDir(mode, 'chat4all-modes-');
    // As an earlier version, or a umask of 022, left it.
    await chmod(dataDir, 0o755);
    // Files on disk in every mode.
    hub = await HubProcess.start({ mode, dataDir, env: { S3_ENDPOINT: '' } });
    const alice = new Uploader(await new ApiClient(hub.url).login('user1'));
    await alice.uploaded(new TestFile(`${mode}-private`, 100));
    const unfinished = new TestFile(`${mode}-private-unfinished`, 100);
    const { fileId } = await alice.initiate(unfinished);
    assert.equal((await alice.patch(fileId, 0, unfinished.chunk(0))).status, 200);
  });
  after(async () => {
    await hub.stop();
    await HubProcess.removeState(dataDir, mode);
  });

  if (mode === 'embedded') {
    it('closes the data directory to other users, also one that was open before', async () => {
      assert.equal(await openToOthers(dataDir), '');
    });
  }

  it('writes stored files, upload parts and their folders for its own user only', async () => {
    const root = path.join(dataDir, 'files');
    const entries = [root, ...(await readdir(root, { recursive: true })).map((entry) => path.join(root, entry))];
    assert.ok(entries.length >= 5, `objects/, uploads/, an object, a part folder and a part: ${entries.join(', ')}`);
    assert.deepEqual((await Promise.all(entries.map(openToOthers))).filter(Boolean), []);
  });
});
