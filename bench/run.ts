/**
 * `npm run bench`: every section in one go; writes bench/results/<time>.json and the tables in BENCHMARKS.md.
 * `npm run bench -- --quick`: shorter runs, smaller data (under 3 minutes); writes only the JSON file.
 * `npm run bench -- --only accept,history`: some sections; `--modes embedded`: one mode.
 * `npm run bench -- --profile DIR`: each hub process writes a CPU profile into DIR (see bench/profile-top.ts).
 * `npm run bench -- --hub DIR`: benchmark the hub checked out in DIR (same harness and floors), for before/after.
 * `npm run bench -- --hub-env NAME=VALUE`: extra environment for every hub process (repeatable), e.g.
 *   CHAT4ALL_BATCH_LINGER_MS=25, or PGOPTIONS='-c synchronous_commit=off' (weaker durability: report it apart).
 *
 * Starts what it needs as `npm test` does (scripts/local-services.ts); all traffic goes to 127.0.0.1.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { localServices, loud, type Service } from '../scripts/local-services.ts';
import type { TestMode } from '../test/support/test-modes.ts';
import { machineInfo } from './machine.ts';
import { markdown, writeBenchmarksMd, type RunReport } from './report.ts';
import { sections } from './sections/registry.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    modes: { type: 'string' },
    profile: { type: 'string' },
    hub: { type: 'string' },
    'hub-env': { type: 'string', multiple: true },
  },
});
const only = values.only?.split(',');
const unknown = only?.filter((name) => !sections.some((section) => section.name === name)) ?? [];
if (unknown.length > 0) {
  process.stderr.write(`unknown section(s) ${unknown.join(', ')}; sections: ${sections.map((s) => s.name).join(', ')}\n`);
  process.exit(2);
}

if (values.profile) process.env.BENCH_PROFILE_DIR = path.resolve(values.profile);
if (values.hub) process.env.BENCH_HUB_ROOT = path.resolve(values.hub);
if (values['hub-env']) {
  process.env.BENCH_HUB_ENV = JSON.stringify(Object.fromEntries(values['hub-env'].map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)])));
}

// Kafka for every section, and Redis for the distributed API's rate limits; what only some need (S3 for files) is
// started around those (withServices below), so S3Proxy takes no CPU from what the others measure.
const services = await localServices(['kafka', 'redis']);
try {
  Object.assign(process.env, services.env);
  let modes: TestMode[] = services.distributed ? ['embedded', 'distributed'] : ['embedded'];
  for (const warning of services.warnings) loud(warning);
  if (values.modes) modes = modes.filter((mode) => values.modes!.split(',').includes(mode));
  const log = (line: string) => process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  const startedAt = new Date().toISOString();
  const report: RunReport = {
    startedAt,
    finishedAt: '',
    quick: values.quick!,
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    machine: await machineInfo(),
    loadAfter: { loadavg1: 0 },
    sections: [],
  };
  log(`machine: ${JSON.stringify(report.machine)}`);
  for (const section of sections.filter((s) => !only || only.includes(s.name))) {
    log(`section ${section.name}: ${section.title}`);
    const started = performance.now();
    const entry: RunReport['sections'][number] = { name: section.name, title: section.title, seconds: 0 };
    try {
      entry.result = await withServices(section.services ?? [], () => section.run({ quick: values.quick!, modes, log }));
    } catch (error) {
      entry.error = error instanceof Error ? error.message : String(error);
      log(`section ${section.name} FAILED: ${entry.error}`);
      process.exitCode = 1;
    }
    entry.seconds = (performance.now() - started) / 1000;
    report.sections.push(entry);
  }
  report.finishedAt = new Date().toISOString();
  report.loadAfter = { loadavg1: Number(os.loadavg()[0]!.toFixed(2)) };
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/${startedAt.replace(/[:.]/g, '-')}${values.quick ? '-quick' : ''}.json`;
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  const text = markdown(report);
  process.stdout.write(`\n${text}\n\nresults: ${file}\n`);
  if (!values.quick && !only && !values.modes && !values.profile && !values.hub && !values['hub-env']) writeBenchmarksMd('BENCHMARKS.md', text);
} finally {
  services.stop();
}

/** Runs `work` with `wanted` services available (started now if their variables are not set, stopped after). */
async function withServices<T>(wanted: Service[], work: () => Promise<T>): Promise<T> {
  if (wanted.length === 0) return work();
  const extra = await localServices(wanted);
  for (const warning of extra.warnings) loud(warning);
  const added = Object.keys(extra.env).filter((name) => process.env[name] === undefined);
  Object.assign(process.env, extra.env);
  try {
    return await work();
  } finally {
    for (const name of added) delete process.env[name];
    extra.stop();
  }
}
