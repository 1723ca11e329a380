/**
 * Idle CPU of each hub process, with no traffic: `node bench/idle-cpu.ts [seconds] [embedded|distributed|one-process]...`.
 * Starts each deployment with every role, lets it settle, then reads /proc over the window for each role's process
 * and (distributed) the PostgreSQL backends connected to the deployment's own database. A role that polls shows here.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { localServices } from '../scripts/local-services.ts';
import { distributedState } from '../test/support/test-modes.ts';
import { freshState, startDeployment, type Roles } from './support/deployment.ts';
import type { TestMode } from '../test/support/test-modes.ts';

const seconds = Number(process.argv[2] ?? 10);
const wanted = process.argv.slice(3);
const kinds = wanted.length > 0 ? wanted : ['embedded', 'distributed', 'one-process'];

const cpuSeconds = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
};
const roleOf = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(2).join(' ').trim();

const services = await localServices(['kafka']);
Object.assign(process.env, services.env);
for (const kind of kinds) {
  const mode: TestMode = kind === 'embedded' ? 'embedded' : 'distributed';
  const roles: Roles = kind === 'one-process' ? 'one-process' : 'all';
  const dataDir = await freshState();
  const deployment = await startDeployment({ mode, roles, dataDir });
  const admin = mode === 'distributed' ? new pg.Client({ connectionString: distributedState(dataDir).url }) : undefined;
  try {
    await admin?.connect();
    const backends = async () =>
      admin
        ? (await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')).rows.map((r) => r.pid)
        : [];
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const hub = deployment.cpuGroups.hub!();
    const pgPids = await backends();
    const before = new Map([...hub, ...pgPids].map((pid) => [pid, cpuSeconds(pid)]));
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const rows = hub.map((pid) => [roleOf(pid), ((cpuSeconds(pid) - before.get(pid)!) / seconds) * 1000] as const);
    const pgMs = pgPids.reduce((sum, pid) => sum + cpuSeconds(pid) - before.get(pid)!, 0) / seconds * 1000;
    process.stdout.write(`${kind}: CPU ms per second over ${seconds} s, idle\n`);
    for (const [role, ms] of rows) process.stdout.write(`  ${role.padEnd(24)} ${ms.toFixed(1)}\n`);
    if (admin) process.stdout.write(`  ${'postgres backends'.padEnd(24)} ${pgMs.toFixed(1)}\n`);
  } finally {
    await admin?.end();
    await deployment.stop();
    await deployment.removeState();
  }
}
services.stop();
