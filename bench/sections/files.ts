import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FilesUploadResult, UploadRun } from '../files-upload.ts';
import type { TestMode } from '../../test/support/test-modes.ts';
import type { BenchContext, Section, SectionResult } from './section.ts';

const SCRIPT = fileURLToPath(new URL('../files-upload.ts', import.meta.url));
/**
 * What a 2 GiB upload may add to the API's resident memory over its idle level: streaming, it holds a few buffers
 * whatever the file's size (the pipeline issue; the absolute 250 MB of issue 4 held with CHAT4ALL_TUNE_FOR=memory).
 */
const RSS_GROWTH_LIMIT_MIB = 64;

export const filesSection: Section = {
  name: 'files',
  title: 'Files: uploads through PATCH and presigned PUT, against a plain disk copy; the API\'s peak memory',
  services: ['s3'],
  async run(context: BenchContext): Promise<SectionResult> {
    const sizes = context.quick ? [256] : [1024, 2048];
    const rows: SectionResult['rows'] = [];
    const data: FilesUploadResult[] = [];
    // Embedded, the API's process is also the whole hub as `npm start` runs it: measured both ways.
    const deployments = context.modes.flatMap((mode): { mode: TestMode; roles: string }[] =>
      mode === 'embedded' ? [{ mode, roles: 'api' }, { mode, roles: 'all' }] : [{ mode, roles: 'api' }],
    );
    for (const { mode, roles } of deployments) {
      for (const sizeMib of sizes) {
        context.log(`files: ${mode}, ${roles === 'api' ? 'the API alone' : 'every role'}, ${sizeMib} MiB`);
        const result = await filesUpload(mode, roles, sizeMib);
        data.push(result);
        const row = (how: string, run: UploadRun) =>
          rows.push([
            `${mode} (${result.storage}), ${roles === 'api' ? 'API alone' : 'every role'}`,
            `${sizeMib} MiB`,
            how,
            run.upload_mb_s,
            `${result.floor_copy_fsync_mb_s} (${result.floor_copy_mb_s})`,
            run.complete_s,
            run.download_mb_s,
            `${run.api_cpu_s.upload} / ${run.api_cpu_s.complete} / ${run.api_cpu_s.download}`,
            `${run.api_peak_rss_mib} (${Object.values(run.api_peak_rss_mib_by_phase).join(' / ')})`,
            `${result.api_rss_mib.before} / ${result.api_rss_mib.vm_hwm}`,
            `${Math.round(run.api_peak_rss_mib - result.api_rss_mib.before)}${run.api_peak_rss_mib - result.api_rss_mib.before > RSS_GROWTH_LIMIT_MIB ? ' (over)' : ''}`,
          ]);
        row('PATCH', result.patch);
        row('presigned PUT', result.presigned_put);
      }
    }
    return {
      columns: [
        'mode (storage), processes',
        'size',
        'chunks via',
        'upload MB/s',
        'floor: copy + fsync (copy) MB/s',
        'complete s',
        'download MB/s',
        'API CPU s: upload / complete / download',
        'API peak RSS MiB (upload / complete / download)',
        'API RSS before / VmHWM MiB',
        `peak over idle MiB (limit ${RSS_GROWTH_LIMIT_MIB})`,
      ],
      rows,
      notes: [
        'bench/files-upload.ts: the REST API alone (distributed: PostgreSQL + Kafka + S3Proxy, embedded: PGlite + local disk), and embedded also ' +
          'the hub as `npm start` runs it (every role in the API\'s process); one file of pseudo-random bytes, ' +
          '4 chunks at a time (the default 8 MiB chunks), then `complete` (which assembles the object and hashes it) and a download checked by SHA-256.',
        'The floor is a plain copy of the same file on the same disk, then fsync, measured in the same run (in parentheses: without fsync).',
        'API peak RSS: sampled every 50 ms from the first chunk to the end of the download; "before" is the idle API just before the first chunk, ' +
          `and the peak may exceed it by ${RSS_GROWTH_LIMIT_MIB} MiB at most. VmHWM is the peak of the process's whole life, start-up included.`,
        'Presigned PUTs go straight to S3Proxy in distributed mode (the API only signs); with local disk the hub serves its own signed URLs.',
      ],
      data,
    };
  },
};

/** Runs bench/files-upload.ts in a process of its own and parses the JSON it prints. */
function filesUpload(mode: string, roles: string, sizeMib: number): Promise<FilesUploadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT, '--json', '--mode', mode, '--roles', roles, '--size-mib', String(sizeMib)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.once('exit', (code) => {
      try {
        if (code !== 0) throw new Error(`exit ${code}`);
        resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '') as FilesUploadResult);
      } catch (error) {
        reject(new Error(`bench/files-upload.ts failed (${(error as Error).message}): ${out.slice(-2_000)}`));
      }
    });
  });
}
