import {
  AbortMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';

/** The runner's S3 server (S3_* variables), given to a distributed hub with a bucket of its own. */
export function s3Env(bucket: string): Record<string, string> {
  const { S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_REGION } = process.env;
  if (!S3_ENDPOINT || !S3_ACCESS_KEY || !S3_SECRET_KEY) return {};
  return { S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY, S3_REGION: S3_REGION ?? 'us-east-1', S3_BUCKET: bucket };
}

/** A client of the runner's S3 server, for tests that look behind the hub's back. */
export function s3Client(): S3Client {
  const env = s3Env('');
  if (!env.S3_ENDPOINT) throw new Error('no S3 server configured (S3_ENDPOINT)');
  return new S3Client({
    endpoint: env.S3_ENDPOINT,
    region: env.S3_REGION!,
    forcePathStyle: true,
    credentials: { accessKeyId: env.S3_ACCESS_KEY!, secretAccessKey: env.S3_SECRET_KEY! },
  });
}

/** Deletes a hub's bucket with everything in it (objects and unfinished uploads). Best effort, like topics. */
export async function deleteBucket(bucket: string): Promise<void> {
  if (!process.env.S3_ENDPOINT) return;
  const client = s3Client();
  try {
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    for (const upload of uploads.Uploads ?? []) {
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key!, UploadId: upload.UploadId! }));
    }
    for (let token: string | undefined; ; ) {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      for (const object of page.Contents ?? []) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key! }));
      if (!page.IsTruncated) break;
      token = page.NextContinuationToken;
    }
    await client.send(new DeleteBucketCommand({ Bucket: bucket }));
  } catch {
    // a bucket never created (the hub failed early) leaves nothing to clean
  } finally {
    client.destroy();
  }
}
