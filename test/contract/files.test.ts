import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiClient, waitFor, type Session } from '../support/api-client.ts';
import { assertProblem } from '../support/assertions.ts';
import {
  assertRefusedPut,
  digestBody,
  fileBytes,
  MiB,
  MULTIPART_TYPE,
  multipartForm,
  sha256,
  TEST_CHUNK_SIZE,
  TestFile,
  Uploader,
} from '../support/file-client.ts';
import { HubProcess } from '../support/hub-process.ts';
import { storageOf, testModes } from '../support/test-modes.ts';

const GiB = 1024 * MiB;

for (const mode of testModes) describe(`files [${mode}, ${storageOf(mode)} storage]`, () => {
  let hub: HubProcess;
  let alice: Uploader;
  let bob: Uploader;
  let carol: Uploader;
  let seeds = 0;
  /** A fresh test file of `size` bytes (5 MiB chunks). */
  const testFile = (size: number) => new TestFile(`${mode}-file-${++seeds}`, size);

  before(async () => {
    hub = await HubProcess.start({ mode, env: { CHAT4ALL_FILE_CHUNK_SIZE: String(TEST_CHUNK_SIZE) } });
    const client = new ApiClient(hub.url);
    const [a, b, c] = await Promise.all([client.login('user1'), client.login('user2'), client.login('user3')]);
    [alice, bob, carol] = [new Uploader(a), new Uploader(b), new Uploader(c)];
  });
  after(() => hub.stop());

  describe('initiate', () => {
    it('answers 201 with file_id, a presigned upload_url for chunk 0, chunk_size, total_chunks and expires_at', async () => {
      const file = testFile(12 * MiB);
      const { body } = await alice.initiate(file);
      assert.deepEqual(Object.keys(body).sort(), ['chunk_size', 'expires_at', 'file_id', 'total_chunks', 'upload_url']);
      assert.equal(body.chunk_size, TEST_CHUNK_SIZE);
      assert.equal(body.total_chunks, 3);
      assert.match(body.upload_url, /^http:\/\//);
      assert.ok(Date.parse(body.expires_at) > Date.now(), 'expires_at is ahead');
    });

    it('accepts exactly 2 GiB (2,147,483,648 bytes)', async () => {
      const response = await alice.session.post('/v1/files/initiate', { filename: 'big.iso', file_size: 2 * GiB, content_type: 'application/octet-stream' });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      assert.equal(response.body.total_chunks, Math.ceil((2 * GiB) / TEST_CHUNK_SIZE));
    });

    it('answers 413 FILE_TOO_LARGE one byte over 2 GiB', async () => {
      const response = await alice.session.post('/v1/files/initiate', { filename: 'big.iso', file_size: 2 * GiB + 1, content_type: 'application/octet-stream' });
      assertProblem(response, 413, 'FILE_TOO_LARGE');
    });

    for (const fileSize of [0, -1, 1.5, '10']) {
      it(`answers 400 naming file_size for ${JSON.stringify(fileSize)}`, async () => {
        const response = await alice.session.post('/v1/files/initiate', { filename: 'x.bin', file_size: fileSize, content_type: 'text/plain' });
        assertProblem(response, 400, 'VALIDATION_FAILED');
        assert.ok(response.body.field_errors?.file_size, JSON.stringify(response.body));
      });
    }

    for (const [what, contentType] of [
      ['a €', 'text/plain; name=€'],
      ['a line separator (U+2028)', 'text/plain;\u2028charset=utf-8'],
      ['a no-break space (U+00A0)', 'text/plain\u00a0; charset=utf-8'],
    ]) {
      it(`answers 400 naming content_type for one with ${what}, which a Content-Type header cannot carry`, async () => {
        const response = await alice.session.post('/v1/files/initiate', { filename: 'x.txt', file_size: 10, content_type: contentType });
        assertProblem(response, 400, 'VALIDATION_FAILED');
        assert.ok(response.body.field_errors?.content_type, JSON.stringify(response.body));
      });
    }

    it('answers 400 for a filename with a path separator or control character', async () => {
      for (const filename of ['../etc/passwd', 'a\nb.txt']) {
        const response = await alice.session.post('/v1/files/initiate', { filename, file_size: 10, content_type: 'text/plain' });
        assertProblem(response, 400, 'VALIDATION_FAILED');
        assert.ok(response.body.field_errors?.filename, JSON.stringify(response.body));
      }
    });
  });

  describe('chunks', () => {
    it('takes chunks through PATCH (raw and multipart) and the presigned URLs, then completes', async () => {
      const file = testFile(12 * MiB);
      const { fileId, body } = await alice.initiate(file);
      const first = await alice.put(body.upload_url, file.chunk(0));
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const raw = await alice.patch(fileId, 1, file.chunk(1));
      assert.equal(raw.status, 200, JSON.stringify(raw.body));
      assert.deepEqual(Object.keys(raw.body).sort(), ['chunk_id', 'file_id', 'next_upload_url', 'status']);
      assert.equal(raw.body.status, 'uploaded');
      const form = await alice.patchMultipart(fileId, 2, file.chunk(2));
      assert.equal(form.status, 200, JSON.stringify(form.body));
      assert.equal(form.body.next_upload_url, null, 'no chunk after the last');
      const done = await alice.complete(fileId, file.sha256());
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.deepEqual(done.body, {
        file_id: fileId,
        status: 'completed',
        filename: `${file.seed}.bin`,
        file_size: file.size,
        content_type: 'application/octet-stream',
        sha256: file.sha256(),
      });
    });

    it('hands out working presigned URLs in next_upload_url and for PATCH with an empty JSON body', async () => {
      const file = testFile(12 * MiB);
      const { fileId } = await alice.initiate(file);
      const zero = await alice.patch(fileId, 0, file.chunk(0));
      assert.equal((await alice.put(zero.body.next_upload_url, file.chunk(1))).status, 200);
      assert.equal((await alice.put(await alice.chunkUrl(fileId, 2), file.chunk(2))).status, 200);
      assert.deepEqual((await alice.status(fileId)).body.received_chunks, [0, 1, 2]);
    });

    it('resumes an interrupted upload: status lists what is missing, and only that is sent again', async () => {
      const file = testFile(12 * MiB);
      const { fileId } = await alice.initiate(file);
      assert.equal((await alice.patch(fileId, 0, file.chunk(0))).status, 200);
      await alice.patch(fileId, 1, file.chunk(1), {}, { cutAfter: 2 * MiB });
      assert.equal((await alice.patch(fileId, 2, file.chunk(2))).status, 200);
      const status = await waitFor(async () => {
        const response = await alice.status(fileId);
        return response.body.missing_chunks?.length === 1 && response;
      }, { what: 'the cut chunk to be reported missing' });
      assert.equal(status.body.status, 'uploading');
      assert.deepEqual(status.body.received_chunks, [0, 2]);
      assert.deepEqual(status.body.missing_chunks, [1]);
      assert.equal((await alice.patch(fileId, 1, file.chunk(1))).status, 200);
      assert.equal((await alice.complete(fileId, file.sha256())).status, 200);
    });

    it('replaces a chunk that is sent again', async () => {
      const file = testFile(6 * MiB);
      const { fileId } = await alice.initiate(file);
      assert.equal((await alice.patch(fileId, 0, fileBytes('wrong bytes', 0, TEST_CHUNK_SIZE))).status, 200);
      assert.equal((await alice.patch(fileId, 0, file.chunk(0))).status, 200);
      assert.equal((await alice.patch(fileId, 1, file.chunk(1))).status, 200);
      const done = await alice.complete(fileId, file.sha256());
      assert.equal(done.status, 200, JSON.stringify(done.body));
      assert.equal((await digestBody(await alice.download(fileId))).sha256, file.sha256());
    });

    it('rejects a chunk whose X-Chunk-SHA256 does not match at once, and does not keep it', async () => {
      const file = testFile(6 * MiB);
      const { fileId } = await alice.initiate(file);
      const corrupted = Buffer.from(file.chunk(0));
      corrupted[1000]! ^= 0xff;
      const response = await alice.patch(fileId, 0, corrupted, { 'x-chunk-sha256': sha256(file.chunk(0)) });
      assertProblem(response, 400, 'CHUNK_CHECKSUM_MISMATCH');
      assert.deepEqual((await alice.status(fileId)).body.missing_chunks, [0, 1]);
      const good = await alice.patch(fileId, 0, file.chunk(0), { 'x-chunk-sha256': sha256(file.chunk(0)).toUpperCase() });
      assert.equal(good.status, 200, JSON.stringify(good.body));
      assert.deepEqual((await alice.status(fileId)).body.received_chunks, [0]);
    });

    it('answers 400 for an X-Chunk-SHA256 that is not a SHA-256', async () => {
      const file = testFile(100);
      const { fileId } = await alice.initiate(file);
      assertProblem(await alice.patch(fileId, 0, file.chunk(0), { 'x-chunk-sha256': 'abc' }), 400, 'VALIDATION_FAILED');
    });

    it('refuses a chunk of the wrong size through PATCH: shorter 400, longer 413, nothing kept', async () => {
      const file = testFile(6 * MiB);
      const { fileId } = await alice.initiate(file);
      assertProblem(await alice.patch(fileId, 0, file.chunk(0).subarray(1)), 400, 'CHUNK_SIZE_MISMATCH');
      assertProblem(await alice.patch(fileId, 0, Buffer.concat([file.chunk(0), Buffer.from('x')])), 413, 'CHUNK_TOO_LARGE');
      assertProblem(await alice.patch(fileId, 1, Buffer.concat([file.chunk(1), Buffer.alloc(MiB)])), 413, 'CHUNK_TOO_LARGE');
      assert.deepEqual((await alice.status(fileId)).body.missing_chunks, [0, 1]);
    });

    it('stops a body that runs past the chunk size without Content-Length (multipart), keeping nothing', async () => {
      const file = testFile(6 * MiB);
      const { fileId } = await alice.initiate(file);
      const response = await alice.patchMultipart(fileId, 1, Buffer.concat([file.chunk(1), Buffer.alloc(64 * 1024)]));
      assertProblem(response, 413, 'CHUNK_TOO_LARGE');
      assert.deepEqual((await alice.status(fileId)).body.missing_chunks, [0, 1]);
    });

    it('refuses a presigned PUT with more or fewer bytes than the chunk, keeping nothing', async () => {
      const file = testFile(6 * MiB);
      const { fileId, body } = await alice.initiate(file);
      const longer = await alice.put(body.upload_url, Buffer.concat([file.chunk(0), Buffer.from('x')]));
      const shorter = await alice.put(body.upload_url, file.chunk(0).subarray(1));
      for (const response of [longer, shorter]) assertRefusedPut(response, 400, 403, 413);
      assert.deepEqual((await alice.status(fileId)).body.missing_chunks, [0, 1]);
    });

    it('answers 415 to a chunk sent as text/plain, naming the types it takes, and keeps nothing', async () => {
      const file = testFile(100);
      const { fileId } = await alice.initiate(file);
      const response = await alice.patch(fileId, 0, file.chunk(0), { 'content-type': 'text/plain' });
      assertProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
      assert.match(response.body.detail, /application\/octet-stream, multipart\/form-data, or application\/json/);
      assert.deepEqual((await alice.status(fileId)).body.missing_chunks, [0]);
    });

    it('answers 400 naming content-type for a multipart chunk without a boundary', async () => {
      const file = testFile(100);
      const { fileId } = await alice.initiate(file);
      const response = await alice.patchForm(fileId, 0, multipartForm(file.chunk(0)), 'multipart/form-data');
      assertProblem(response, 400, 'VALIDATION_FAILED');
      assert.ok(response.body.field_errors?.['content-type'], JSON.stringify(response.body));
    });

    it('answers 400 naming file for a multipart form cut off inside the chunk, and keeps nothing', async () => {
      const file = testFile(1000);
      const { fileId } = await alice.initiate(file);
      const form = multipartForm(file.chunk(0));
      const response = await alice.patchForm(fileId, 0, form.subarray(0, form.length - 500), MULTIPART_TYPE);
      assertProblem(response, 400, 'VALIDATION_FAILED');
      assert.ok(response.body.field_errors?.file, JSON.stringify(response.body));
      assert.deepEqual((await alice.status(fileId)).body.missing_chunks, [0]);
    });

    it('answers 400 naming chunk_id for a chunk past the end', async () => {
      const file = testFile(100);
      const { fileId } = await alice.initiate(file);
      const response = await alice.patch(fileId, 1, file.chunk(0));
      assertProblem(response, 400, 'VALIDATION_FAILED');
      assert.ok(response.body.field_errors?.chunk_id, JSON.stringify(response.body));
    });

    it('takes chunks uploaded concurrently, through PATCH and presigned URLs at once', async () => {
      const file = testFile(31 * MiB);
      const { fileId } = await alice.initiate(file);
      const urls = await Promise.all([1, 3, 5].map((id) => alice.chunkUrl(fileId, id)));
      const responses = await Promise.all([
        ...[0, 2, 4, 6].map((id) => alice.patch(fileId, id, file.chunk(id))),
        ...[1, 3, 5].map((id, at) => alice.put(urls[at]!, file.chunk(id))),
      ]);
      assert.deepEqual(responses.map((response) => response.status), [200, 200, 200, 200, 200, 200, 200]);
      assert.equal((await alice.complete(fileId, file.sha256())).status, 200);
    });
  });

  describe('complete', () => {
    it('answers 400 CHECKSUM_MISMATCH for a wrong checksum, then completes with the right one', async () => {
      const file = testFile(11 * MiB);
      const { fileId } = await alice.initiate(file);
      await alice.uploadAll(fileId, file);
      const wrong = await alice.complete(fileId, sha256('something else'));
      assertProblem(wrong, 400, 'CHECKSUM_MISMATCH');
      assert.match(wrong.body.detail, /corrupted/);
      assert.equal((await alice.status(fileId)).body.status, 'uploading');
      const right = await alice.complete(fileId, file.sha256());
      assert.equal(right.status, 200, JSON.stringify(right.body));
      assert.equal((await alice.status(fileId)).body.sha256, file.sha256());
    });

    it('detects a chunk corrupted without a per-chunk checksum; re-sending it fixes the file', async () => {
      const file = testFile(11 * MiB);
      const { fileId } = await alice.initiate(file);
      await alice.uploadAll(fileId, file);
      const corrupted = Buffer.from(file.chunk(1));
      corrupted[0]! ^= 1;
      assert.equal((await alice.patch(fileId, 1, corrupted)).status, 200);
      assertProblem(await alice.complete(fileId, file.sha256()), 400, 'CHECKSUM_MISMATCH');
      assert.equal((await alice.patch(fileId, 1, file.chunk(1))).status, 200);
      assert.equal((await alice.complete(fileId, file.sha256())).status, 200);
      assert.equal((await digestBody(await alice.download(fileId))).sha256, file.sha256());
    });

    it('answers 400 MISSING_CHUNKS listing the chunks not uploaded', async () => {
      const file = testFile(16 * MiB);
      const { fileId } = await alice.initiate(file);
      assert.equal((await alice.patch(fileId, 1, file.chunk(1))).status, 200);
      const response = await alice.complete(fileId, file.sha256());
      assertProblem(response, 400, 'MISSING_CHUNKS');
      assert.deepEqual(response.body.missing_chunks, [0, 2, 3]);
    });

    it('answers 409 once completed, to complete and to chunks alike', async () => {
      const file = testFile(100);
      const fileId = await alice.uploaded(file);
      assertProblem(await alice.complete(fileId, file.sha256()), 409, 'FILE_ALREADY_COMPLETED');
      assertProblem(await alice.patch(fileId, 0, file.chunk(0)), 409, 'FILE_ALREADY_COMPLETED');
    });

    it('answers 400 when the checksum differs from the one declared at initiate', async () => {
      const file = testFile(100);
      const { fileId } = await alice.initiate(file, { checksum_sha256: file.sha256() });
      await alice.uploadAll(fileId, file);
      assertProblem(await alice.complete(fileId, sha256('x')), 400, 'CHECKSUM_MISMATCH');
      assert.equal((await alice.complete(fileId, file.sha256())).status, 200);
    });
  });

  describe("someone else's file", () => {
    it('is unknown (404) to a user who cannot see it, whatever they try', async () => {
      const file = testFile(100);
      const { fileId } = await alice.initiate(file);
      assertProblem(await carol.status(fileId), 404, 'FILE_NOT_FOUND');
      assertProblem(await carol.patch(fileId, 0, file.chunk(0)), 404, 'FILE_NOT_FOUND');
      assertProblem(await carol.complete(fileId, file.sha256()), 404, 'FILE_NOT_FOUND');
      await alice.uploadAll(fileId, file);
      assert.equal((await alice.complete(fileId, file.sha256())).status, 200);
      assertProblem(await carol.session.get(`/v1/files/${fileId}/download`), 404, 'FILE_NOT_FOUND');
    });

    it('can be read, not written, by a member of a conversation it was sent to', async () => {
      const file = testFile(100);
      const fileId = await alice.uploaded(file);
      const conversation = await alice.session.createConversation('private', [alice.session.userId, bob.session.userId]);
      const sent = await alice.session.post('/v1/messages', alice.session.textMessage(conversation, { payload: { type: 'file', file_id: fileId } }));
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
      assert.equal((await bob.status(fileId)).status, 200);
      assert.equal((await digestBody(await bob.download(fileId))).sha256, file.sha256());
      assertProblem(await bob.complete(fileId, file.sha256()), 403, 'NOT_FILE_UPLOADER');
      assertProblem(await bob.patch(fileId, 0, file.chunk(0)), 403, 'NOT_FILE_UPLOADER');
      assertProblem(await carol.session.get(`/v1/files/${fileId}/download`), 404, 'FILE_NOT_FOUND');
    });
  });

  describe('presigned URLs', () => {
    it('refuses a URL whose signature was tampered with, keeping nothing', async () => {
      const file = testFile(100);
      const { fileId, body } = await alice.initiate(file);
      const url = new URL(body.upload_url);
      const name = url.searchParams.has('signature') ? 'signature' : 'X-Amz-Signature';
      const signature = url.searchParams.get(name)!;
      url.searchParams.set(name, `${signature[0] === 'a' ? 'b' : 'a'}${signature.slice(1)}`);
      assertRefusedPut(await alice.put(url.toString(), file.chunk(0)), 403);
      assert.deepEqual((await alice.status(fileId)).body.missing_chunks, [0]);
    });

    it("refuses a URL pointed at another chunk than the one it was signed for", async () => {
      const file = testFile(6 * MiB);
      const { fileId, body } = await alice.initiate(file);
      const url = body.upload_url.replace(/chunks\/0\?/, 'chunks/1?').replace(/partNumber=1&/, 'partNumber=2&');
      assert.notEqual(url, body.upload_url);
      assertRefusedPut(await alice.put(url, file.chunk(1)), 403);
      assert.deepEqual((await alice.status(fileId)).body.missing_chunks, [0, 1]);
    });
  });

  describe('download', () => {
    const filename = 'relatório “final” 日本語 ✓.txt';
    let fileId: string;
    const file = new TestFile(`${mode}-download`, 7 * MiB + 123);

    before(async () => {
      fileId = await alice.uploaded(file, { filename, content_type: 'text/plain; charset=utf-8' });
    });

    it('serves the whole file with its declared type and its unicode filename', async () => {
      const response = await alice.download(fileId);
      assert.equal(response.status, 200);
      // Jetty (behind S3Proxy) writes the same media type without the space
      assert.equal(response.headers.get('content-type')?.replace(/;\s*/g, '; '), 'text/plain; charset=utf-8');
      const disposition = response.headers.get('content-disposition') ?? '';
      assert.match(disposition, /^attachment;/);
      const encoded = /filename\*=UTF-8''([^;]+)/.exec(disposition)?.[1];
      assert.equal(decodeURIComponent(encoded ?? ''), filename);
      assert.deepEqual(await digestBody(response), { sha256: file.sha256(), size: file.size });
    });

    it("tells browsers not to guess the download's type (X-Content-Type-Options: nosniff)", async () => {
      const response = await fetch(new URL(`/v1/files/${fileId}/download`, hub.url), {
        headers: { authorization: `Bearer ${alice.session.token}` },
        redirect: 'manual',
      });
      await response.body?.cancel();
      assert.ok([200, 302].includes(response.status), `the hub serves the file or redirects to storage: ${response.status}`);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    });

    it('serves a byte range with 206', async () => {
      const start = TEST_CHUNK_SIZE - 10;
      const response = await alice.download(fileId, { range: `bytes=${start}-${start + 99}` });
      assert.equal(response.status, 206);
      assert.equal(response.headers.get('content-range'), `bytes ${start}-${start + 99}/${file.size}`);
      const expected = Buffer.concat([file.chunk(0), file.chunk(1)]).subarray(start, start + 100);
      assert.deepEqual(Buffer.from(await response.arrayBuffer()), expected);
    });

    it('answers 416 for a range past the end', async () => {
      const response = await alice.download(fileId, { range: `bytes=${file.size + 10}-` });
      assert.equal(response.status, 416);
    });

    it('answers 409 FILE_NOT_COMPLETED before completion', async () => {
      const { fileId: unfinished } = await alice.initiate(testFile(100));
      assertProblem(await alice.session.get(`/v1/files/${unfinished}/download`), 409, 'FILE_NOT_COMPLETED');
    });
  });

  it('round-trips 200 MB: uploaded in chunks, completed, downloaded, compared by SHA-256', async () => {
    const file = testFile(200 * 1000 * 1000);
    const { fileId } = await alice.initiate(file);
    await alice.uploadAll(fileId, file, 2);
    const done = await alice.complete(fileId, file.sha256());
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.deepEqual(await digestBody(await alice.download(fileId)), { sha256: file.sha256(), size: file.size });
  });
});
