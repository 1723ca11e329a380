import { DeleteObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { HubProcess } from './hub-process.ts';
import { s3Client } from './s3-buckets.ts';
import { distributedState, storageOf } from './test-modes.ts';

/** Looks into a hub's storage directly, as an operator (or a fault) would. */
export class StorageProbe {
  readonly #hub: HubProcess;

  constructor(hub: HubProcess) {
    this.#hub = hub;
  }

  get kind(): 'disk' | 's3' {
    return storageOf(this.#hub.mode);
  }

  /** Deletes a file's object, as a lost disk or a mistaken bucket policy would. */
  async removeObject(fileId: string): Promise<void> {
    if (this.kind === 'disk') {
      await rm(path.join(this.#hub.dataDir, 'files', 'objects', fileId));
      return;
    }
    const client = s3Client();
    try {
      await client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: fileId }));
    } finally {
      client.destroy();
    }
  }

  /** How many unfinished uploads (sets of parts) the storage holds. */
  async openUploads(): Promise<number> {
    if (this.kind === 'disk') return (await readdir(path.join(this.#hub.dataDir, 'files', 'uploads'))).length;
    const client = s3Client();
    try {
      const { Uploads } = await client.send(new ListMultipartUploadsCommand({ Bucket: this.#bucket }));
      return Uploads?.length ?? 0;
    } finally {
      client.destroy();
    }
  }

  get #bucket(): string {
    return distributedState(this.#hub.dataDir).bucket;
  }
}
