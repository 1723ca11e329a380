import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { s3ClientConfig } from '../../src/adapters/s3/s3-blob-storage.ts';
import { loadConfig, type S3Config } from '../../src/config.ts';

function s3Settings(env: Record<string, string>): S3Config {
  const { storage } = loadConfig({ S3_ENDPOINT: 'https://s3.eu-west-1.amazonaws.com', S3_REGION: 'eu-west-1', S3_BUCKET: 'hub-files', ...env });
  assert.equal(storage.kind, 's3');
  return storage as S3Config;
}

const keys = { S3_ACCESS_KEY: 'AKIAEXAMPLE', S3_SECRET_KEY: 'example-secret' };

/** A presigned GET's URL: where the client puts the bucket, with nothing sent anywhere. */
async function presignedUrl(settings: S3Config): Promise<URL> {
  const client = new S3Client(s3ClientConfig({ ...settings, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }, settings.endpoint));
  try {
    return new URL(await getSignedUrl(client, new GetObjectCommand({ Bucket: settings.bucket, Key: 'some/key' }), { expiresIn: 60 }));
  } finally {
    client.destroy();
  }
}

describe('s3ClientConfig', () => {
  it('gives the client the static keys when both are set', () => {
    const config = s3ClientConfig(s3Settings(keys), 'https://s3.eu-west-1.amazonaws.com');
    assert.deepEqual(config.credentials, { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'example-secret' });
    assert.equal(config.region, 'eu-west-1');
    assert.equal(config.endpoint, 'https://s3.eu-west-1.amazonaws.com');
  });

  it('gives no credentials without keys, so the SDK uses its default provider chain', () => {
    const config = s3ClientConfig(s3Settings({}), 'https://s3.eu-west-1.amazonaws.com');
    assert.equal('credentials' in config, false);
  });

  it('keeps the path style by default (S3-compatible servers), virtual-hosted with S3_FORCE_PATH_STYLE=false', async () => {
    assert.equal(s3ClientConfig(s3Settings(keys), 'x').forcePathStyle, true);
    assert.equal(s3ClientConfig(s3Settings({ ...keys, S3_FORCE_PATH_STYLE: 'false' }), 'x').forcePathStyle, false);
    const pathStyle = await presignedUrl(s3Settings(keys));
    assert.equal(pathStyle.host, 's3.eu-west-1.amazonaws.com');
    assert.match(pathStyle.pathname, /^\/hub-files\/some\/key$/);
    const virtualHosted = await presignedUrl(s3Settings({ ...keys, S3_FORCE_PATH_STYLE: 'false' }));
    assert.equal(virtualHosted.host, 'hub-files.s3.eu-west-1.amazonaws.com');
    assert.match(virtualHosted.pathname, /^\/some\/key$/);
  });

  it('checksums only when required, as every S3-compatible server takes', () => {
    const config = s3ClientConfig(s3Settings(keys), 'x');
    assert.equal(config.requestChecksumCalculation, 'WHEN_REQUIRED');
    assert.equal(config.responseChecksumValidation, 'WHEN_REQUIRED');
  });
});
