/**
 * File upload throughput and the API's memory, against the physical floor measured in the same run:
 *
 *   node bench/files-upload.ts [--size-mib 1024] [--mode embedded|distributed] [--roles api|all] [--parallel 4] [--json]
 *
 * Starts the REST API (`--roles api`, the default) or the whole deployment (`--roles all`: embedded, `npm start`'s
 * one process with every role; distributed, one process per role) as the bench deployments do (bench/support/deployment.ts: production-like settings,
 * `--hub`/`--hub-env` honoured; embedded: files on local disk; distributed: PostgreSQL + Kafka, and S3 when
 * S3_ENDPOINT is set, e.g. after `source .services/env`), writes a file of pseudo-random bytes, and uploads it
 * twice: through `PATCH /v1/files/upload` and through presigned `PUT`s, `--parallel` chunks at a time, each followed
 * by `complete` (which hashes the stored object) and a download whose SHA-256 is checked. The floor is a plain
 * copy of the same file on the same disk (then flushed with fsync, as the disk adapter flushes what it stores).
 * The API process's resident memory is sampled from /proc every 50 ms during each upload + complete + download:
 * its peak, next to what it held before the first chunk and its VmHWM (the peak of its whole life, start-up
 * included: embedded PGlite's initdb alone passes 1 GB). CPU seconds are the API process's (user + system).
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
import { storageOf, type TestMode } from '../test/support/test-modes.ts';
import { cpuSeconds } from './support/cpu.ts';
import { startDeployment } from './support/deployment.ts';

const MiB = 1024 * 1024;
const { values } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '1024' },
    mode: { type: 'string', default: 'embedded' },
    roles: { type: 'string', default: 'api' },
    parallel: { type: 'string', default: '4' },
    json: { type: 'boolean', default: false },
  },
});
const size = Number(values['size-mib']) * MiB;
const parallel = Number(values.parallel);
const mode = values.mode as TestMode;
if (values.roles !== 'api' && values.roles !== 'all') throw new Error(`--roles: api or all, not ${values.roles}`);
const roles = values.roles;
const agent = new http.Agent({ keepAlive: true, maxSockets: parallel + 2 });

/** What one way of uploading measured. */
export interface UploadRun {
  upload_mb_s: number;
  complete_s: number;
  end_to_end_mb_s: number;
  download_mb_s: number;
  /** API CPU seconds for the upload, the complete and the download. */
  api_cpu_s: { upload: number; complete: number; download: number };
  /** Highest API RSS sampled from the first chunk to the end of the download. */
  api_peak_rss_mib: number;
  /** The same, for each phase. */
  api_peak_rss_mib_by_phase: { upload: number; complete: number; download: number };
}

/** What `--json` prints. */
export interface FilesUploadResult {
  mode: TestMode;
  /** `api`: the REST API alone; `all`: every role (embedded: in the API's process). */
  roles: 'api' | 'all';
  storage: 'disk' | 's3';
  size_mib: number;
  parallel: number;
  floor_copy_mb_s: number;
  floor_copy_fsync_mb_s: number;
  patch: UploadRun;
  presigned_put: UploadRun;
  api_rss_mib: { before: number; vm_hwm: number };
}

const work = await mkdtemp(path.join(tmpdir(), 'chat4all-bench-files-'));
const source = path.join(work, 'source.bin');
const sha256 = await writeSource(source, size);
const floor = await copyFloor(source, path.join(work, 'copy.bin'));

// The first start runs initdb itself, as a fresh install does (the start-up is part of VmHWM).
const deployment = await startDeployment({ mode, roles, ownInitdb: true });
try {
  const pid = deployment.cpuGroups.hub!()[0]!;
  const session = await new ApiClient(deployment.url).login('user1');
  const rssBefore = memoryMiB(pid, 'VmRSS');
  const viaPatch = await upload(session, pid, 'patch');
  const viaPut = await upload(session, pid, 'put');
  const result: FilesUploadResult = {
    mode,
    roles,
    storage: storageOf(mode),
    size_mib: size / MiB,
    parallel,
    floor_copy_mb_s: floor.copy,
    floor_copy_fsync_mb_s: floor.copyFsync,
    patch: viaPatch,
    presigned_put: viaPut,
    api_rss_mib: { before: rssBefore, vm_hwm: memoryMiB(pid, 'VmHWM') },
  };
  if (values.json) console.log(JSON.stringify(result));
  else {
    console.log(`${size / MiB} MiB, ${mode} (${result.storage} storage, ${roles === 'api' ? 'the API alone' : 'every role'}), ${parallel} chunks at a time`);
    console.log(`  floor: plain copy ${floor.copy} MB/s, copy + fsync ${floor.copyFsync} MB/s`);
    for (const [name, run] of [['PATCH        ', viaPatch], ['presigned PUT', viaPut]] as const) {
      console.log(
        `  ${name}: upload ${run.upload_mb_s} MB/s (${Math.round((run.upload_mb_s / floor.copyFsync) * 100)} % of copy + fsync), ` +
          `complete ${run.complete_s} s, end to end ${run.end_to_end_mb_s} MB/s, download ${run.download_mb_s} MB/s (SHA-256 checked); ` +
          `API CPU ${run.api_cpu_s.upload} + ${run.api_cpu_s.complete} + ${run.api_cpu_s.download} s, ` +
          `peak RSS ${run.api_peak_rss_mib} MiB (${Object.values(run.api_peak_rss_mib_by_phase).join(' / ')})`,
      );
    }
    console.log(`  API RSS: ${rssBefore} MiB before the first chunk; VmHWM ${result.api_rss_mib.vm_hwm} MiB (start-up included)`);
  }
} finally {
  await deployment.stop();
  await deployment.removeState();
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

async function upload(session: Session, pid: number, how: 'patch' | 'put'): Promise<UploadRun> {
  const sampler = sampleRss(pid);
  const cpu = cpuSeconds(pid);
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
  const cpuUploaded = cpuSeconds(pid);
  const rssUpload = sampler.phase();
  const done = await session.post('/v1/files/complete', { file_id: fileId, checksum: sha256 });
  if (done.status !== 200) throw new Error(`complete: ${done.status} ${JSON.stringify(done.body)}`);
  const completed = performance.now();
  const cpuCompleted = cpuSeconds(pid);
  const rssComplete = sampler.phase();
  const downloaded = await download(session, fileId);
  if (downloaded !== sha256) throw new Error(`download (${how}): SHA-256 ${downloaded}, uploaded ${sha256}`);
  const finished = performance.now();
  const cpuFinished = cpuSeconds(pid);
  const rssDownload = sampler.stop();
  return {
    upload_mb_s: mbPerSecond(size, uploaded - started),
    complete_s: Math.round(completed - uploaded) / 1000,
    end_to_end_mb_s: mbPerSecond(size, completed - started),
    download_mb_s: mbPerSecond(size, finished - completed),
    api_cpu_s: { upload: round2(cpuUploaded - cpu), complete: round2(cpuCompleted - cpuUploaded), download: round2(cpuFinished - cpuCompleted) },
    api_peak_rss_mib: Math.max(rssUpload, rssComplete, rssDownload),
    api_peak_rss_mib_by_phase: { upload: rssUpload, complete: rssComplete, download: rssDownload },
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

/** Downloads the file (following the S3 adapter's redirect to a presigned URL) and returns its SHA-256. */
async function download(session: Session, fileId: string): Promise<string> {
  let url = new URL(`/v1/files/${fileId}/download`, session.client.baseUrl).toString();
  let headers: Record<string, string> = { authorization: `Bearer ${session.token}` };
  for (;;) {
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => http.get(url, { agent, headers }, resolve).on('error', reject));
    if (response.statusCode === 302 && response.headers.location) {
      response.resume();
      url = new URL(response.headers.location, url).toString();
      headers = {};
      continue;
    }
    if (response.statusCode !== 200) throw new Error(`download: HTTP ${response.statusCode}`);
    const hash = createHash('sha256');
    for await (const chunk of response as AsyncIterable<Buffer>) hash.update(chunk);
    return hash.digest('hex');
  }
}

/** A field of /proc/<pid>/status (VmRSS now, VmHWM the peak so far), in MiB. */
function memoryMiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)![1]) / 1024);
}

/**
 * The highest RSS seen, sampled every 50 ms (VmHWM would include start-up, e.g. PGlite's initdb): `phase()` returns
 * the peak since the last phase began and starts the next one, `stop()` ends the last one.
 */
function sampleRss(pid: number): { phase(): number; stop(): number } {
  let peak = memoryMiB(pid, 'VmRSS');
  const timer = setInterval(() => (peak = Math.max(peak, memoryMiB(pid, 'VmRSS'))), 50);
  const phase = () => {
    const now = memoryMiB(pid, 'VmRSS');
    const highest = Math.max(peak, now);
    peak = now;
    return highest;
  };
  return { phase, stop: () => (clearInterval(timer), phase()) };
}

function mbPerSecond(bytes: number, ms: number): number {
  return Math.round(bytes / 1e6 / (ms / 1000));
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
