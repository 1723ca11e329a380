import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiClient, waitFor } from '../support/api-client.ts';
import { assertProblem } from '../support/assertions.ts';
import { assertRefusedPut, TEST_CHUNK_SIZE, TestFile, Uploader } from '../support/file-client.ts';
import { HubProcess } from '../support/hub-process.ts';
import { RoleProcess } from '../support/role-process.ts';
import { StorageProbe } from '../support/storage-probe.ts';
import { storageOf, testModes } from '../support/test-modes.ts';

for (const mode of testModes) describe(`upload lifetimes [${mode}, ${storageOf(mode)} storage]`, () => {
  describe('presigned URLs that expire', () => {
    let hub: HubProcess;
    let alice: Uploader;

    before(async () => {
      hub = await HubProcess.start({ mode, env: { CHAT4ALL_UPLOAD_URL_TTL_SECONDS: '1' } });
      alice = new Uploader(await new ApiClient(hub.url).login('user1'));
    });
    after(() => hub.stop());

    it('refuses a chunk PUT after the URL expired, and keeps nothing', async () => {
      const file = new TestFile(`${mode}-expiring`, 100);
      const { fileId, body } = await alice.initiate(file);
      // S3 counts expiry in whole seconds from the signing time: wait a second past expires_at.
      const expired = Date.parse(body.expires_at) + 1_000;
      await waitFor(async () => Date.now() > expired, { what: 'the URL to expire' });
      assertRefusedPut(await alice.put(body.upload_url, file.chunk(0)), 403);
      assert.deepEqual((await alice.status(fileId)).body.missing_chunks, [0]);
      assert.equal((await alice.put(await alice.chunkUrl(fileId, 0), file.chunk(0))).status, 200, 'a fresh URL works');
    });
  });

  describe('cleanup of abandoned uploads', () => {
    const env = {
      CHAT4ALL_UPLOAD_MAX_AGE_SECONDS: '3',
      CHAT4ALL_CLEANUP_INTERVAL_SECONDS: '1',
      CHAT4ALL_FILE_CHUNK_SIZE: String(TEST_CHUNK_SIZE),
    };
    let hub: HubProcess;
    let cleanup: RoleProcess | undefined;
    let dataDir: string;
    let alice: Uploader;

    before(async () => {
      dataDir = await HubProcess.freshDataDir(mode, 'chat4all-cleanup-');
      if (mode === 'embedded') {
        // inside `chat4all start`
        hub = await HubProcess.start({ mode, dataDir, env });
      } else {
        // `chat4all cleanup` alone, beside an API that has no cleanup of its own
        hub = await HubProcess.start({ mode, dataDir, args: ['api'], env });
        cleanup = await RoleProcess.start({ args: ['cleanup'], dataDir, mode, env });
      }
      alice = new Uploader(await new ApiClient(hub.url).login('user1'));
    });
    after(async () => {
      await cleanup?.kill();
      await hub.kill();
      await HubProcess.removeState(dataDir, mode);
    });

    it('fails an upload not completed in time, deletes its parts, and refuses further chunks', async () => {
      const file = new TestFile(`${mode}-abandoned`, 6 * 1024 * 1024);
      const { fileId } = await alice.initiate(file);
      assert.equal((await alice.patch(fileId, 0, file.chunk(0))).status, 200);
      const failed = await waitFor(async () => {
        const response = await alice.status(fileId);
        return response.body.status === 'failed' && response.body;
      }, { what: 'the abandoned upload to fail', timeoutMs: 30_000 });
      assert.match(failed.failure_reason, /not completed within 3 s/);
      assert.deepEqual(failed.missing_chunks, [0, 1]);
      const storage = new StorageProbe(hub);
      await waitFor(async () => (await storage.openUploads()) === 0, { what: 'the parts to be deleted' });
      assertProblem(await alice.patch(fileId, 1, file.chunk(1)), 409, 'FILE_UPLOAD_FAILED');
      assertProblem(await alice.complete(fileId, file.sha256()), 409, 'FILE_UPLOAD_FAILED');
    });
  });
});
