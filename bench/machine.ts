import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { PG_URL } from '../scripts/local-services.ts';
import { kafkaPids } from './support/deployment.ts';

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  postgres: string;
  pglite: string;
  kafka: string;
  /** 1-minute load average and the busy share of both cores over 2 s, before the run. */
  loadBefore: { loadavg1: number; busyPercent: number };
}

function busyPercentOver(ms: number): Promise<number> {
  const ticks = () => readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const before = ticks();
  return new Promise((resolve) =>
    setTimeout(() => {
      const delta = ticks().map((tick, i) => tick - before[i]!);
      const total = delta.reduce((a, b) => a + b, 0);
      resolve(Math.round(((total - delta[3]! - delta[4]!) / total) * 100));
    }, ms),
  );
}

async function postgresVersion(): Promise<string> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    return rows[0]!.server_version;
  } catch {
    return 'not reachable';
  } finally {
    await client.end().catch(() => {});
  }
}

/** The broker's version, from the kafka_2.13-<version>.jar on its class path. */
function kafkaVersion(): string {
  for (const pid of kafkaPids()) {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const classPath = args[args.indexOf('-cp') + 1] ?? '';
      for (const entry of classPath.split(':')) {
        const dir = entry.endsWith('*') ? path.dirname(entry) : entry;
        const jar = readdirSync(dir).find((name) => /^kafka_2\.13-[\d.]+\.jar$/.test(name));
        if (jar) return jar.replace(/^kafka_2\.13-|\.jar$/g, '');
      }
    } catch {
      // not a readable broker process
    }
  }
  return 'unknown';
}

export async function machineInfo(): Promise<MachineInfo> {
  const pgliteVersion = JSON.parse(readFileSync(new URL('../node_modules/@electric-sql/pglite/package.json', import.meta.url), 'utf8')).version;
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    postgres: await postgresVersion(),
    pglite: pgliteVersion,
    kafka: kafkaVersion(),
    loadBefore: { loadavg1: Number(os.loadavg()[0]!.toFixed(2)), busyPercent: await busyPercentOver(2_000) },
  };
}
