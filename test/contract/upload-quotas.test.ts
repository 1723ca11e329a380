import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiClient, waitFor } from '../support/api-client.ts';
import { assertProblem } from '../support/assertions.ts';
import { MiB, TEST_CHUNK_SIZE, TestFile, Uploader } from '../support/file-client.ts';
import { HubProcess } from '../support/hub-process.ts';
import { storageOf, testModes } from '../support/test-modes.ts';

for (const mode of testModes) describe(`upload quotas [${mode}, ${storageOf(mode)} storage]`, () => {
  let hub: HubProcess;
  /** One user per behaviour: each starts with nothing stored. */
  let users: Uploader[];
  let seeds = 0;
  const testFile = (size: number) => new TestFile(`${mode}-quota-${++seeds}`, size);

  before(async () => {
    hub = await HubProcess.start({
      mode,
      env: {
        CHAT4ALL_FILE_CHUNK_SIZE: String(TEST_CHUNK_SIZE),
        CHAT4ALL_USER_MAX_OPEN_UPLOADS: '2',
        CHAT4ALL_USER_STORAGE_BYTES: String(12 * MiB),
        CHAT4ALL_USER_CHUNK_UPLOADS: '1',
      },
    });
    const client = new ApiClient(hub.url);
    const sessions = await Promise.all(['user1', 'user2', 'user3', 'user4'].map((name) => client.login(name)));
    users = sessions.map((session) => new Uploader(session));
  });
  after(() => hub.stop());

  it('refuses an upload past CHAT4ALL_USER_MAX_OPEN_UPLOADS with 409 UPLOAD_LIMIT_REACHED', async () => {
    const alice = users[0]!;
    await alice.initiate(testFile(100));
    await alice.initiate(testFile(100));
    const response = await alice.session.post('/v1/files/initiate', { filename: 'third.bin', file_size: 100 });
    assertProblem(response, 409, 'UPLOAD_LIMIT_REACHED');
    assert.equal(response.body.max_open_uploads, 2);
  });

  it('counts a completed upload as no longer open: another can start', async () => {
    const bob = users[1]!;
    await bob.uploaded(testFile(100));
    await bob.initiate(testFile(100));
    const response = await bob.session.post('/v1/files/initiate', { filename: 'second-open.bin', file_size: 100 });
    assert.equal(response.status, 201, JSON.stringify(response.body));
  });

  it('refuses an upload that does not fit CHAT4ALL_USER_STORAGE_BYTES with 409 STORAGE_QUOTA_EXCEEDED naming file_size', async () => {
    const carol = users[2]!;
    await carol.initiate(testFile(10 * MiB));
    const response = await carol.session.post('/v1/files/initiate', { filename: 'too-much.bin', file_size: 3 * MiB });
    assertProblem(response, 409, 'STORAGE_QUOTA_EXCEEDED');
    assert.deepEqual(response.body.field_errors.file_size, [`must be at most ${2 * MiB}, what is left of the storage quota`]);
    assert.equal(response.body.storage_used_bytes, 10 * MiB);
  });

  it('answers 429 TOO_MANY_CHUNK_UPLOADS with Retry-After to a chunk past CHAT4ALL_USER_CHUNK_UPLOADS streaming at once', async () => {
    const dave = users[3]!;
    const file = testFile(10 * MiB);
    const { fileId } = await dave.initiate(file);
    const cut = await dave.holdPatch(fileId, 0, file.chunk(0), MiB);
    try {
      // The held chunk takes its slot once the hub has found its file: until then the other one may pass.
      const refused = await waitFor(async () => {
        const response = await dave.patch(fileId, 1, file.chunk(1));
        return response.status === 429 && response;
      }, { what: 'the second chunk to be refused while the first streams' });
      assertProblem(refused, 429, 'TOO_MANY_CHUNK_UPLOADS');
      assert.equal(refused.headers.get('retry-after'), '1');
    } finally {
      cut();
    }
  });
});
