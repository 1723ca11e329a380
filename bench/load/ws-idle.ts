/**
 * Idle WebSocket connections held by one API process, from this process: opens `connections` GET /v1/ws
 * sockets spread over the clients' tokens, holds them without traffic for `holdMs` (past the server's
 * heartbeat, so every socket answers pings meanwhile), and reads the API process's memory from
 * /proc/<apiPid>/status before, while and after. Reads its task as JSON on stdin, prints one JSON result line.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { readInput } from '../support/child.ts';
import { cpuMeter } from '../support/cpu.ts';
import { round } from '../support/stats.ts';
import { dropSockets, openSockets, type WsClient } from './ws-sockets.ts';

export interface WsIdleInput {
  url: string;
  clients: WsClient[];
  connections: number;
  /** Handshakes in flight at a time while opening. */
  concurrency: number;
  holdMs: number;
  /**
   * Length of the two windows the API's CPU is read over: before connecting, and the end of the hold (after
   * the opening's aftermath: sessions still starting, garbage collection).
   */
  quietMs: number;
  apiPid: number;
}

export interface WsIdleResult {
  connections: number;
  openSeconds: number;
  /** The API process's resident memory in MiB: before connecting, once all were open, at the end of the hold. */
  rssBeforeMiB: number;
  rssOpenMiB: number;
  rssHeldMiB: number;
  /** Highest resident memory from just before connecting to the end of the hold (VmHWM, reset first). */
  peakMiB: number;
  /** (held − before) / connections. */
  perConnectionKiB: number;
  /** Connections that closed during the hold (should be 0), and the fewest pings one socket got. */
  closed: number;
  closeCodes: Record<string, number>;
  minPings: number;
  /** The API process's CPU time per connection opened (upgrade, token check, feed position, ready frame). */
  apiCpuMsPerHandshake: number;
  /** The API process's CPU in % of one core: before connecting, and while it held the idle connections. */
  apiCpuPercentBefore: number;
  apiCpuPercentHeld: number;
  loadCpuPercent: number;
}

const input = await readInput<WsIdleInput>();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const apiCpu = async () => {
  const meter = cpuMeter({ api: () => [input.apiPid] });
  await sleep(input.quietMs);
  return meter().api!;
};
const status = `/proc/${input.apiPid}/status`;
const kib = (field: 'VmRSS' | 'VmHWM') => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(status, 'utf8'))![1]);

const apiCpuBefore = await apiCpu();
const rssBefore = kib('VmRSS');
// Writing 5 to clear_refs resets the peak to the current RSS, so the peak is this test's, not the start-up's.
let peakReset = true;
try {
  writeFileSync(`/proc/${input.apiPid}/clear_refs`, '5');
} catch {
  peakReset = false;
}
let sampledPeak = rssBefore;
const sampler = setInterval(() => (sampledPeak = Math.max(sampledPeak, kib('VmRSS'))), 100);

const cpuBefore = process.cpuUsage();
const startedAt = performance.now();
const clients = Array.from({ length: input.connections }, (_, index) => input.clients[index % input.clients.length]!);
const opening = cpuMeter({ api: () => [input.apiPid] });
const sockets = await openSockets(input.url, clients, { concurrency: input.concurrency });
const openSeconds = (performance.now() - startedAt) / 1000;
const openingCpu = opening();
const rssOpen = kib('VmRSS');

await sleep(input.holdMs - input.quietMs);
const apiCpuHeld = await apiCpu();
const rssHeld = kib('VmRSS');
clearInterval(sampler);
const peak = Math.max(sampledPeak, rssHeld, peakReset ? kib('VmHWM') : 0);
const cpu = process.cpuUsage(cpuBefore);

const closeCodes: Record<string, number> = {};
for (const { closedWith } of sockets) if (closedWith !== null) closeCodes[closedWith] = (closeCodes[closedWith] ?? 0) + 1;
const mib = (value: number) => round(value / 1024);
const output: WsIdleResult = {
  connections: sockets.length,
  openSeconds: round(openSeconds),
  rssBeforeMiB: mib(rssBefore),
  rssOpenMiB: mib(rssOpen),
  rssHeldMiB: mib(rssHeld),
  peakMiB: mib(peak),
  perConnectionKiB: round((rssHeld - rssBefore) / sockets.length),
  closed: Object.values(closeCodes).reduce((sum, count) => sum + count, 0),
  closeCodes,
  minPings: Math.min(...sockets.map((socket) => socket.pings)),
  apiCpuMsPerHandshake: round((openingCpu.api! * 10 * openSeconds) / sockets.length),
  apiCpuPercentBefore: apiCpuBefore,
  apiCpuPercentHeld: apiCpuHeld,
  loadCpuPercent: Math.round(((cpu.user + cpu.system) / 1e6 / ((performance.now() - startedAt) / 1000)) * 100),
};
process.stdout.write(`${JSON.stringify(output)}\n`);
dropSockets(sockets);
process.exit(0);
