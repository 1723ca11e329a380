/**
 * CPU per message of each hub process, the pipeline included: `node bench/role-cpu.ts RATE SECONDS [embedded|distributed|one-process]...`.
 * Sends RATE messages/s for SECONDS (open model, so every run does the same work), then keeps measuring until the
 * hub is idle again (the backlog drained), and prints CPU µs per accepted message for each role's process and for
 * the PostgreSQL backends connected to the deployment's own database (other people's backends do not count).
 * Kafka is left out: the broker is shared and its CPU cannot be split by deployment.
 * RATE 0 measures the idle deployment instead, in CPU ms per second over SECONDS: a role that polls shows there.
 */
import { readdirSync, readlinkSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { localServices } from '../scripts/local-services.ts';
import { distributedState, type TestMode } from '../test/support/test-modes.ts';
import { openLoad, signInSenders } from './sections/common.ts';
import { freshState, startDeployment, type Roles } from './support/deployment.ts';

const rate = Number(process.argv[2] ?? 1000);
const seconds = Number(process.argv[3] ?? 10);
const wanted = process.argv.slice(4);
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
/** Which of `pids` owns the TCP socket whose local port is `port` (a backend's client_port), by socket inode. */
function ownerOfPort(port: number, pids: readonly number[]): number | undefined {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length > 9 && parseInt(fields[1]!.split(':')[1]!, 16) === port) inodes.add(`socket:[${fields[9]}]`);
    }
  }
  for (const pid of pids) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        try {
          if (inodes.has(readlinkSync(`/proc/${pid}/fd/${fd}`))) return pid;
        } catch {
          // closed meanwhile
        }
      }
    } catch {
      // gone
    }
  }
  return undefined;
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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
        ? (await admin.query<{ pid: number; client_port: number }>(
            'SELECT pid, client_port FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
          )).rows
        : [];
    if (rate === 0) {
      await sleep(3_000);
      const hub = deployment.cpuGroups.hub!();
      const pgPids = (await backends()).map(({ pid }) => pid);
      const before = new Map([...hub, ...pgPids].map((pid) => [pid, cpuSeconds(pid)]));
      await sleep(seconds * 1000);
      const msPerSecond = (pids: number[]) => ((pids.reduce((sum, pid) => sum + cpuSeconds(pid) - before.get(pid)!, 0) / seconds) * 1000).toFixed(1);
      process.stdout.write(`${kind}: idle, CPU ms per second over ${seconds} s\n`);
      for (const pid of hub) process.stdout.write(`  ${roleOf(pid).padEnd(24)} ${msPerSecond([pid]).padStart(6)}\n`);
      if (admin) process.stdout.write(`  ${'postgres (own backends)'.padEnd(24)} ${msPerSecond(pgPids).padStart(6)}\n`);
      continue;
    }
    const senders = await signInSenders(deployment.url, 20);
    // Warm-up (JIT, pools, topics), then let it settle.
    await openLoad({ url: deployment.url, ratePerSecond: rate, durationSeconds: 2, senders, maxSockets: 256, graceSeconds: 10 });
    await sleep(3_000);
    const hub = deployment.cpuGroups.hub!();
    // What the hub uses idle (a polling role), over the last second of the settling time: "idle again" is that + 3 %.
    const idleFrom = hub.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    await sleep(1_000);
    const idlePerHalfSecond = (hub.reduce((sum, pid) => sum + cpuSeconds(pid), 0) - idleFrom) / 2;
    const used = new Map<number, number>();
    const total = () => hub.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    const pgBefore = new Map<number, number>();
    for (const { pid } of await backends()) pgBefore.set(pid, cpuSeconds(pid));
    for (const pid of hub) used.set(pid, cpuSeconds(pid));
    const startedAt = performance.now();
    const load = await openLoad({ url: deployment.url, ratePerSecond: rate, durationSeconds: seconds, senders, maxSockets: 256, graceSeconds: 10 });
    // Until the hub used under its idle CPU + 3 % of a core over half a second: the pipeline is done with the backlog.
    for (let last = total(); ; ) {
      await sleep(500);
      const now = total();
      if (now - last < idlePerHalfSecond + 0.015) break;
      last = now;
    }
    const elapsed = (performance.now() - startedAt) / 1000;
    const pgByRole = new Map<number | undefined, number>();
    for (const { pid, client_port } of await backends()) {
      const owner = ownerOfPort(client_port, hub);
      pgByRole.set(owner, (pgByRole.get(owner) ?? 0) + cpuSeconds(pid) - (pgBefore.get(pid) ?? 0));
    }
    const pgUsed = [...pgByRole.values()].reduce((a, b) => a + b, 0);
    const perMessage = (cpu: number) => ((cpu * 1e6) / load.ok).toFixed(0);
    process.stdout.write(`${kind}: ${load.ok} messages at ${rate}/s, measured ${elapsed.toFixed(1)} s until idle; CPU µs per message\n`);
    let sum = 0;
    for (const pid of hub) {
      const cpu = cpuSeconds(pid) - used.get(pid)!;
      sum += cpu;
      const backendCpu = pgByRole.get(pid);
      process.stdout.write(`  ${roleOf(pid).padEnd(24)} ${perMessage(cpu).padStart(6)}${backendCpu === undefined ? '' : `   its PostgreSQL backends ${perMessage(backendCpu).padStart(6)}`}\n`);
    }
    if (admin) process.stdout.write(`  ${'postgres (own backends)'.padEnd(24)} ${perMessage(pgUsed).padStart(6)}${pgByRole.has(undefined) ? `   of which no hub process's ${perMessage(pgByRole.get(undefined)!)}` : ''}\n`);
    process.stdout.write(`  ${'total'.padEnd(24)} ${perMessage(sum + pgUsed)}\n`);
  } finally {
    await admin?.end();
    await deployment.stop();
    await deployment.removeState();
  }
}
services.stop();
