/**
 * File upload throughput and the API's memory, against the physical floor measured in the same run:
 *
 *   node bench/files-upload.ts [--size-mib 1024] [--mode embedded|distributed] [--parallel 4] [--json]
 *
 * Starts a hub like the tests do (embedded: files on local disk; distributed: PostgreSQL + Kafka, and S3 when
 * S3_ENDPOINT is set, e.g. after `npm run services:start; source .services/env`), writes a file of pseudo-random
 * bytes, and uploads it twice: through `PATCH /v1/files/upload` and through presigned `PUT`s, `--parallel`
 * chunks at a time, each followed by `complete` (which hashes the stored object). The floor is a plain copy of the
 * same file on the same disk (then flushed with fsync, as the disk adapter flushes what it stores). The API
 * process's resident memory is sampled from /proc every 50 ms during the uploads: its peak, next to what it held
 * before the first chunk (embedded PGlite alone takes several hundred MB; PostgreSQL mode shows the API's own).
 * Prints a table, or one JSON object with --json.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { ApiClient, type Session } from '../test/support/api-client.ts';
import { fileBytes } from '../test/support/file-client.ts';
import { HubProcess } from '../test/support/hub-process.ts';
import { storageOf, type TestMode } from '../test/support/test-modes.ts';

const MiB = 1024 * 1024;
const { values } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '1024' },
    mode: { type: 'string', default: 'embedded' },
    parallel: { type: 'string', default: '4' },
    json: { type: 'boolean', default: false },
  },
});
const size = Number(values['size-mib']) * MiB;
const parallel = Number(values.parallel);
const mode = values.mode as TestMode;
const agent = new http.Agent({ keepAlive: true, maxSockets: parallel + 2 });

const work = await mkdtemp(path.join(tmpdir(), 'chat4all-bench-files-'));
const source = path.join(work, 'source.bin');
const sha256 = await writeSource(source, size);
const floor = await copyFloor(source, path.join(work, 'copy.bin'));

const hub = await HubProcess.start({ mode, args: ['api'] });
try {
  const session = await new ApiClient(hub.url).login('user1');
  const rssBefore = rssMiB(hub.pid!);
  const sampler = sampleRss(hub.pid!);
  const viaPatch = await upload(session, 'patch');
  const peakPatch = sampler.peakAndReset();
  const viaPut = await upload(session, 'put');
  const peakPut = sampler.stop();
  const result = {
    mode,
    storage: storageOf(mode),
    size_mib: size / MiB,
    parallel,
    floor_copy_mb_s: floor.copy,
    floor_copy_fsync_mb_s: floor.copyFsync,
    patch: viaPatch,
    presigned_put: viaPut,
    api_rss_mib: { before: rssBefore, peak_during_patch: peakPatch, peak_during_put: peakPut },
  };
  if (values.json) console.log(JSON.stringify(result));
  else {
    console.log(`${size / MiB} MiB, ${mode} (${result.storage} storage), ${parallel} chunks at a time`);
    console.log(`  floor: plain copy ${floor.copy} MB/s, copy + fsync ${floor.copyFsync} MB/s`);
    for (const [name, run] of [['PATCH        ', viaPatch], ['presigned PUT', viaPut]] as const) {
      console.log(
        `  ${name}: upload ${run.upload_mb_s} MB/s (${Math.round((run.upload_mb_s / floor.copyFsync) * 100)} % of copy + fsync), ` +
          `complete ${run.complete_s} s, end to end ${run.end_to_end_mb_s} MB/s`,
      );
    }
    console.log(`  API RSS: ${rssBefore} MiB before, peak ${peakPatch} MiB during PATCH, ${peakPut} MiB during presigned PUT`);
  }
} finally {
  await hub.stop();
  agent.destroy();
  await rm(work, { recursive: true, force: true });
}

/** Writes `bytes` pseudo-random bytes (8 MiB at a time) and returns their SHA-256. */
async function writeSource(file: string, bytes: number): Promise<string> {
  const hash = createHash('sha256');
  const out = createWriteStream(file);
  for (let offset = 0; offset < bytes; offset += 8 * MiB) {
    const block = fileBytes('bench', offset, Math.min(8 * MiB, bytes - offset));
    hash.update(block);
    if (!out.write(block)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve) => out.end(() => resolve()));
  return hash.digest('hex');
}

async function copyFloor(from: string, to: string): Promise<{ copy: number; copyFsync: number }> {
  const started = performance.now();
  await pipeline(createReadStream(from, { highWaterMark: MiB }), createWriteStream(to));
  const copied = performance.now();
  const handle = await open(to, 'r+');
  await handle.sync();
  await handle.close();
  const synced = performance.now();
  await rm(to);
  return { copy: mbPerSecond(size, copied - started), copyFsync: mbPerSecond(size, synced - started) };
}

async function upload(session: Session, how: 'patch' | 'put') {
  const started = performance.now();
  const initiated = await session.post('/v1/files/initiate', { filename: `bench-${how}.bin`, file_size: size });
  if (initiated.status !== 201) throw new Error(`initiate: ${initiated.status} ${JSON.stringify(initiated.body)}`);
  const { file_id: fileId, chunk_size: chunkSize, total_chunks: total } = initiated.body;
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, total) }, async () => {
      for (let chunk = next++; chunk < total; chunk = next++) {
        const start = chunk * chunkSize;
        const length = Math.min(chunkSize, size - start);
        const target = how === 'patch' ? patchTarget(session, fileId, chunk) : await presignedTarget(session, fileId, chunk);
        const status = await put(target, source, start, length);
        if (status !== 200) throw new Error(`chunk ${chunk} (${how}): HTTP ${status}`);
      }
    }),
  );
  const uploaded = performance.now();
  const done = await session.post('/v1/files/complete', { file_id: fileId, checksum: sha256 });
  if (done.status !== 200) throw new Error(`complete: ${done.status} ${JSON.stringify(done.body)}`);
  const completed = performance.now();
  return {
    upload_mb_s: mbPerSecond(size, uploaded - started),
    complete_s: Math.round(completed - uploaded) / 1000,
    end_to_end_mb_s: mbPerSecond(size, completed - started),
  };
}

interface Target {
  method: string;
  url: string;
  headers: Record<string, string>;
}

function patchTarget(session: Session, fileId: string, chunk: number): Target {
  return {
    method: 'PATCH',
    url: new URL(`/v1/files/upload?file_id=${fileId}&chunk_id=${chunk}`, session.client.baseUrl).toString(),
    headers: { authorization: `Bearer ${session.token}`, 'content-type': 'application/octet-stream' },
  };
}

async function presignedTarget(session: Session, fileId: string, chunk: number): Promise<Target> {
  const response = await session.client.request('PATCH', `/v1/files/upload?file_id=${fileId}&chunk_id=${chunk}`, { token: session.token, body: {} });
  if (response.status !== 200) throw new Error(`presign chunk ${chunk}: ${response.status}`);
  return { method: 'PUT', url: response.body.upload_url, headers: {} };
}

/** Streams bytes [start, start + length) of `file` as the request body. */
function put(target: Target, file: string, start: number, length: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(target.url, { method: target.method, agent, headers: { ...target.headers, 'content-length': length } }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode!));
    });
    request.on('error', reject);
    createReadStream(file, { start, end: start + length - 1, highWaterMark: MiB }).on('error', reject).pipe(request);
  });
}

/** The process's resident set size now (VmRSS), in MiB. */
function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024);
}

/** The highest RSS seen, sampled every 50 ms (VmHWM would include start-up, e.g. PGlite's initdb). */
function sampleRss(pid: number): { peakAndReset(): number; stop(): number } {
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 50);
  const peakAndReset = () => {
    const seen = peak;
    peak = 0;
    return seen;
  };
  return { peakAndReset, stop: () => (clearInterval(timer), peakAndReset()) };
}

function mbPerSecond(bytes: number, ms: number): number {
  return Math.round(bytes / 1e6 / (ms / 1000));
}
