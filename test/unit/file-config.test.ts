import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';

const s3 = { S3_ENDPOINT: 'http://127.0.0.1:9000', S3_ACCESS_KEY: 'key', S3_SECRET_KEY: 'secret' };

describe('loadConfig: files', () => {
  it('stores files on local disk under CHAT4ALL_DATA_DIR/files by default', () => {
    assert.deepEqual(loadConfig({ CHAT4ALL_DATA_DIR: '/srv/hub' }).storage, { kind: 'disk', dir: path.join('/srv/hub', 'files') });
  });

  it('uses S3 when S3_ENDPOINT is set, with bucket chat4all-files and region us-east-1 by default', () => {
    assert.deepEqual(loadConfig(s3).storage, {
      kind: 's3',
      endpoint: 'http://127.0.0.1:9000',
      publicEndpoint: 'http://127.0.0.1:9000',
      region: 'us-east-1',
      bucket: 'chat4all-files',
      credentials: { accessKeyId: 'key', secretAccessKey: 'secret' },
      forcePathStyle: true,
    });
  });

  it('presigns with S3_PUBLIC_ENDPOINT when set', () => {
    const storage = loadConfig({ ...s3, S3_PUBLIC_ENDPOINT: 'https://files.example.com' }).storage;
    assert.equal(storage.kind === 's3' && storage.publicEndpoint, 'https://files.example.com');
  });

  it('takes S3_ENDPOINT without keys: the AWS default credential chain finds them', () => {
    const storage = loadConfig({ S3_ENDPOINT: 'http://127.0.0.1:9000' }).storage;
    assert.equal(storage.kind === 's3' && storage.credentials, undefined);
  });

  it('refuses one key without the other, naming both', () => {
    for (const env of [{ S3_ACCESS_KEY: 'key' }, { S3_SECRET_KEY: 'secret' }]) {
      assert.throws(() => loadConfig({ S3_ENDPOINT: 'http://127.0.0.1:9000', ...env }), (error: unknown) => {
        assert.ok(error instanceof ConfigError && /S3_ACCESS_KEY/.test(error.message) && /S3_SECRET_KEY/.test(error.message));
        return true;
      });
    }
  });

  it('reads S3_FORCE_PATH_STYLE (true by default)', () => {
    const storage = loadConfig({ ...s3, S3_FORCE_PATH_STYLE: 'false' }).storage;
    assert.equal(storage.kind === 's3' && storage.forcePathStyle, false);
    assert.throws(() => loadConfig({ ...s3, S3_FORCE_PATH_STYLE: 'sometimes' }), ConfigError);
  });

  it('refuses an S3_ENDPOINT that is not an http(s) URL', () => {
    assert.throws(() => loadConfig({ ...s3, S3_ENDPOINT: '127.0.0.1:9000' }), ConfigError);
  });

  it('defaults to 8 MiB chunks, URLs valid 1 h, uploads aborted after 24 h', () => {
    const config = loadConfig({});
    assert.equal(config.fileChunkSize, 8 * 1024 * 1024);
    assert.equal(config.uploadUrlTtlSeconds, 3600);
    assert.equal(config.uploadMaxAgeSeconds, 86_400);
  });

  it('defaults to 50 open uploads and 20 GiB per user, 8 chunks streaming per user and 32 per process', () => {
    const config = loadConfig({});
    assert.deepEqual(config.uploadQuota, { maxOpenUploads: 50, maxStoredBytes: 20 * 1024 ** 3 });
    assert.deepEqual(config.chunkConcurrency, { perUser: 8, total: 32 });
  });

  it('reads the upload quotas and chunk concurrency from their variables', () => {
    const config = loadConfig({
      CHAT4ALL_USER_MAX_OPEN_UPLOADS: '5',
      CHAT4ALL_USER_STORAGE_BYTES: String(100 * 1024 ** 3),
      CHAT4ALL_USER_CHUNK_UPLOADS: '2',
      CHAT4ALL_CHUNK_UPLOADS: '64',
    });
    assert.deepEqual(config.uploadQuota, { maxOpenUploads: 5, maxStoredBytes: 100 * 1024 ** 3 });
    assert.deepEqual(config.chunkConcurrency, { perUser: 2, total: 64 });
    assert.throws(() => loadConfig({ CHAT4ALL_USER_MAX_OPEN_UPLOADS: '0' }), ConfigError);
  });

  it('keeps CHAT4ALL_FILE_CHUNK_SIZE within 5–64 MiB', () => {
    assert.throws(() => loadConfig({ CHAT4ALL_FILE_CHUNK_SIZE: String(5 * 1024 * 1024 - 1) }), ConfigError);
    assert.throws(() => loadConfig({ CHAT4ALL_FILE_CHUNK_SIZE: String(64 * 1024 * 1024 + 1) }), ConfigError);
    assert.equal(loadConfig({ CHAT4ALL_FILE_CHUNK_SIZE: String(64 * 1024 * 1024) }).fileChunkSize, 64 * 1024 * 1024);
  });
});
