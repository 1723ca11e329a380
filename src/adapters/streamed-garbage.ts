import { pipeline, Transform, type Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Bytes streamed between young-generation collections. */
const COLLECT_EVERY_BYTES = 4 * 1024 * 1024;

// The flag exposes gc() to contexts made from now on, not to this one: one made here hands it over.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as (options: { type: 'minor' }) => void;
let streamed = 0;

/**
 * File bytes streamed through this process (request bodies, objects read back from S3, downloads) arrive as new
 * 64 KiB buffers whose memory lives outside V8's heap. Their handles are small, so they fill the young generation
 * only after gigabytes, and V8 collects them when their outside memory has grown by some 64 MB or more. A young-
 * generation collection every 4 MiB streamed frees them at once: after a 2 GiB upload the API on S3 held 34–36 MiB
 * more than idle instead of 120–140, embedded 10–21 instead of 63–75 (bench/files-upload.ts, 2026-12-03).
 */
export function noteStreamed(bytes: number): void {
  streamed += bytes;
  if (streamed < COLLECT_EVERY_BYTES) return;
  streamed = 0;
  gc({ type: 'minor' });
}

/** `source` (a stream this process opened: a file, an object read back), counted by noteStreamed as it is read. */
export function collectingGarbage(source: Readable): Readable {
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      noteStreamed(chunk.length);
      callback(null, chunk);
    },
  });
  return pipeline(source, counted, () => {});
}
