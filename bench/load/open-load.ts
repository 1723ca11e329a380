/**
 * Open-model load, in its own process: POST /v1/messages at a constant arrival rate, whatever the answers'
 * speed (request i is due at i / rate seconds). Latency counts from when a request was due, not when it went
 * out, so a hub that falls behind shows it (no coordinated omission). Reads its task as JSON on stdin, prints
 * one JSON result line.
 */
import http from 'node:http';
import { readInput } from '../support/child.ts';
import { percentiles, round } from '../support/stats.ts';
import { messageBodies, type Sender } from './senders.ts';

export interface OpenLoadInput {
  url: string;
  ratePerSecond: number;
  durationSeconds: number;
  senders: Sender[];
  /** Connections the client may open; requests due while all are busy wait for one (their latency grows). */
  maxSockets: number;
  /** How long after the last request is due the client waits for answers before counting them as errors. */
  graceSeconds: number;
}

export interface OpenLoadResult {
  due: number;
  sent: number;
  ok: number;
  errors: number;
  statusCodes: Record<string, number>;
  latencyMs: { p50: number; p99: number; p999: number; max: number };
  /** How far behind schedule the client itself started requests at worst (its own limit, not the hub's). */
  maxStartLagMs: number;
  /** Ids of the last messages accepted, for the caller to watch the backlog drain. */
  lastAccepted: Array<{ messageId: string; token: string }>;
  loadCpuPercent: number;
}

const input = await readInput<OpenLoadInput>();
const target = new URL('/v1/messages', input.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: input.maxSockets });
const next = messageBodies(input.senders);
const due = Math.round(input.ratePerSecond * input.durationSeconds);
const latencies: number[] = [];
const statusCodes: Record<string, number> = {};
const lastAccepted: OpenLoadResult['lastAccepted'] = [];
let sent = 0;
let ok = 0;
let errors = 0;
let answered = 0;
let maxStartLagMs = 0;

function fire(dueAt: number): void {
  const { token, body, messageId } = next();
  const request = http.request(target, {
    method: 'POST',
    agent,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(body) },
  });
  const done = (status: string) => {
    latencies.push(performance.now() - dueAt);
    statusCodes[status] = (statusCodes[status] ?? 0) + 1;
    answered++;
  };
  request.on('response', (response) => {
    response.resume();
    response.on('end', () => {
      const status = String(response.statusCode);
      if (response.statusCode === 200) {
        ok++;
        lastAccepted.push({ messageId, token });
        if (lastAccepted.length > 50) lastAccepted.shift();
      } else errors++;
      done(status);
    });
  });
  request.on('error', (error: NodeJS.ErrnoException) => {
    errors++;
    done(error.code ?? 'error');
  });
  request.end(body);
  sent++;
}

const cpuBefore = process.cpuUsage();
const startedAt = performance.now();
await new Promise<void>((resolve) => {
  let index = 0;
  const tick = () => {
    const now = performance.now();
    while (index < due) {
      const dueAt = startedAt + (index * 1000) / input.ratePerSecond;
      if (dueAt > now) break;
      maxStartLagMs = Math.max(maxStartLagMs, now - dueAt);
      index++;
      fire(dueAt);
    }
    if (index < due) setTimeout(tick, 1);
    else resolve();
  };
  tick();
});
const deadline = performance.now() + input.graceSeconds * 1000;
while (answered < sent && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
const unanswered = sent - answered;
const seconds = (performance.now() - startedAt) / 1000;
const cpu = process.cpuUsage(cpuBefore);
// A request never answered counts as infinitely slow (reported as null), so it cannot flatter the percentiles.
for (let i = 0; i < unanswered; i++) latencies.push(Number.POSITIVE_INFINITY);
const [p50, p99, p999, max] = percentiles(latencies, [50, 99, 99.9, 100]);
const output: OpenLoadResult = {
  due,
  sent,
  ok,
  errors: errors + unanswered,
  statusCodes: { ...statusCodes, ...(unanswered > 0 ? { unanswered } : {}) },
  latencyMs: { p50: round(p50!), p99: round(p99!), p999: round(p999!), max: round(max!) },
  maxStartLagMs: round(maxStartLagMs),
  lastAccepted,
  loadCpuPercent: Math.round(((cpu.user + cpu.system) / 1e6 / seconds) * 100),
};
process.stdout.write(`${JSON.stringify(output)}\n`);
agent.destroy();
process.exit(0);
