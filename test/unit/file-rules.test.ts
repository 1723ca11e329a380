import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ChunkUrlSigner } from '../../src/app/chunk-url-signer.ts';
import { MeteredStream } from '../../src/app/metered-stream.ts';
import { DomainError, ErrorCodes } from '../../src/domain/errors.ts';
import { chunkLength, MAX_FILE_SIZE, missingChunks, normalizeSha256, totalChunks } from '../../src/domain/file-rules.ts';

describe('chunk layout', () => {
  it('splits a file into full chunks and a smaller last one', () => {
    const layout = { fileSize: 12, chunkSize: 5 };
    assert.equal(totalChunks(layout), 3);
    assert.deepEqual([0, 1, 2].map((id) => chunkLength(layout, id)), [5, 5, 2]);
  });

  it('has a full last chunk when the size is a multiple of the chunk size', () => {
    assert.equal(chunkLength({ fileSize: 10, chunkSize: 5 }, 1), 5);
  });

  it('covers every byte exactly once, for any size up to 2 GiB', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_FILE_SIZE }), fc.integer({ min: 5 * 2 ** 20, max: 64 * 2 ** 20 }), (fileSize, chunkSize) => {
        const layout = { fileSize, chunkSize };
        const lengths = Array.from({ length: totalChunks(layout) }, (_, id) => chunkLength(layout, id));
        return lengths.reduce((sum, length) => sum + length, 0) === fileSize && lengths.every((length) => length > 0 && length <= chunkSize);
      }),
    );
  });

  it('lists the chunks not received, in order', () => {
    assert.deepEqual(missingChunks({ fileSize: 20, chunkSize: 5 }, new Set([1, 3])), [0, 2]);
  });
});

describe('normalizeSha256', () => {
  it('lower-cases a valid digest', () => assert.equal(normalizeSha256('AB'.repeat(32)), 'ab'.repeat(32)));
  it('refuses anything else', () => {
    for (const value of ['', 'ab', 'g'.repeat(64), 'a'.repeat(65)]) assert.equal(normalizeSha256(value), undefined);
  });
});

describe('ChunkUrlSigner', () => {
  const signer = new ChunkUrlSigner('a secret');
  const fileId = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
  const parse = (url: string) => {
    const parsed = new URL(url, 'http://hub');
    return { expires: Number(parsed.searchParams.get('expires')), signature: parsed.searchParams.get('signature')! };
  };
  const rejects = (code: string, run: () => void) =>
    assert.throws(run, (error: unknown) => error instanceof DomainError && error.code === code);

  it('accepts its own URL before it expires', () => {
    const url = signer.url(fileId, 3, new Date(Date.now() + 60_000));
    assert.match(url, new RegExp(`^/uploads/${fileId}/chunks/3\\?`));
    signer.verify({ fileId, chunkId: 3, ...parse(url) });
  });

  it('refuses another chunk, another file, a changed expiry or another secret', () => {
    const signed = parse(signer.url(fileId, 3, new Date(Date.now() + 60_000)));
    rejects(ErrorCodes.UPLOAD_URL_INVALID, () => signer.verify({ fileId, chunkId: 4, ...signed }));
    rejects(ErrorCodes.UPLOAD_URL_INVALID, () => signer.verify({ fileId: fileId.replace('7', '8'), chunkId: 3, ...signed }));
    rejects(ErrorCodes.UPLOAD_URL_INVALID, () => signer.verify({ fileId, chunkId: 3, ...signed, expires: signed.expires + 1 }));
    rejects(ErrorCodes.UPLOAD_URL_INVALID, () => new ChunkUrlSigner('another').verify({ fileId, chunkId: 3, ...signed }));
    rejects(ErrorCodes.UPLOAD_URL_INVALID, () => signer.verify({ fileId, chunkId: 3, ...signed, signature: 'zz' }));
  });

  it('accepts a URL signed with a previous secret kept for verification, and signs with the current one', () => {
    const before = signer.url(fileId, 2, new Date(Date.now() + 60_000));
    const rotated = new ChunkUrlSigner('a new secret', ['a secret']);
    rotated.verify({ fileId, chunkId: 2, ...parse(before) });
    const after = parse(rotated.url(fileId, 2, new Date(Date.now() + 60_000)));
    new ChunkUrlSigner('a new secret').verify({ fileId, chunkId: 2, ...after });
    rejects(ErrorCodes.UPLOAD_URL_INVALID, () => signer.verify({ fileId, chunkId: 2, ...after }));
  });

  it('refuses a URL of a previous secret once that secret is dropped', () => {
    const before = parse(signer.url(fileId, 2, new Date(Date.now() + 60_000)));
    rejects(ErrorCodes.UPLOAD_URL_INVALID, () => new ChunkUrlSigner('a new secret').verify({ fileId, chunkId: 2, ...before }));
  });

  it('refuses its own URL once expired', () => {
    const signed = parse(signer.url(fileId, 0, new Date(Date.now() + 1_000)));
    rejects(ErrorCodes.UPLOAD_URL_EXPIRED, () => signer.verify({ fileId, chunkId: 0, ...signed }, Date.now() + 2_000));
  });
});

describe('MeteredStream', () => {
  const run = (expected: number, parts: Buffer[]) => {
    const metered = new MeteredStream(expected, 'chunk 0');
    metered.resume();
    return pipeline(Readable.from(parts), metered).then(() => metered);
  };

  it('passes exactly the expected bytes and hashes them', async () => {
    const metered = await run(6, [Buffer.from('abc'), Buffer.from('def')]);
    assert.equal(metered.sha256(), 'bef57ec7f53a6d40beb640a780a639c83bc29ac8a9816f1fc6c5c6dcd93c4721');
  });

  it('fails as soon as more bytes arrive', async () => {
    await assert.rejects(run(5, [Buffer.from('abc'), Buffer.from('def')]), (error: DomainError) => error.code === ErrorCodes.CHUNK_TOO_LARGE);
  });

  it('fails when fewer bytes arrive', async () => {
    await assert.rejects(run(7, [Buffer.from('abcdef')]), (error: DomainError) => error.code === ErrorCodes.CHUNK_SIZE_MISMATCH);
  });
});
