/**
 * Closed-model load with autocannon, in its own process: `connections` keep-alive connections, each sending
 * its next request when the previous answer arrives, for `durationSeconds`. Reads its task as JSON on stdin,
 * prints one JSON result line.
 *
 * Tasks: `messages` (POST /v1/messages with fresh bodies), `login` (POST /auth/token), `post` (a fixed body).
 */
import autocannon, { type Request } from 'autocannon';
import { readInput } from '../support/child.ts';
import { messageBodies, type Sender } from './senders.ts';

export interface ClosedLoadInput {
  url: string;
  connections: number;
  durationSeconds: number;
  task: { kind: 'messages'; path?: string; senders: Sender[] } | { kind: 'login'; usernames: string[]; password: string };
}

export interface ClosedLoadResult {
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  okPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  statusCodes: Record<string, number>;
  loadCpuPercent: number;
}

const input = await readInput<ClosedLoadInput>();
const { task } = input;
const setupRequest = (() => {
  if (task.kind === 'messages') {
    const next = messageBodies(task.senders);
    return (request: Request): Request => {
      const { token, body } = next();
      return { ...request, body, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } };
    };
  }
  let n = 0;
  return (request: Request): Request => ({
    ...request,
    body: JSON.stringify({ username: task.usernames[n++ % task.usernames.length], password: task.password }),
    headers: { 'content-type': 'application/json' },
  });
})();
const path = task.kind === 'messages' ? (task.path ?? '/v1/messages') : '/auth/token';

const cpuBefore = process.cpuUsage();
const startedAt = performance.now();
const result = await autocannon({
  url: input.url,
  connections: input.connections,
  duration: input.durationSeconds,
  timeout: 10,
  requests: [{ method: 'POST', path, setupRequest }],
});
const seconds = (performance.now() - startedAt) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const ok = result['2xx'];
const output: ClosedLoadResult = {
  requests: result.requests.total,
  ok,
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  okPerSecond: Math.round(ok / input.durationSeconds),
  latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
  statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, (stat as { count: number }).count])),
  loadCpuPercent: Math.round(((cpu.user + cpu.system) / 1e6 / seconds) * 100),
};
process.stdout.write(`${JSON.stringify(output)}\n`);
