/**
 * The rate limiter's CPU per request, in one process, where two runs of the machine's other work cannot tell apart
 * what a few µs are: the same small Fastify route (a JSON body, five users in turn) without the limit's hook, with
 * it on counters in memory, and with it on Redis (when given), in interleaved batches; the median CPU µs per request
 * of each. Reads its input as JSON on stdin, prints one JSON result line.
 */
import Fastify, { type onRequestHookHandler } from 'fastify';
import { MemoryRateLimitStore } from '../../src/adapters/memory/memory-rate-limit-store.ts';
import { RedisRateLimitStore } from '../../src/adapters/redis/redis-rate-limit-store.ts';
import { RateLimiter, rateLimitPolicies } from '../../src/app/rate-limiter.ts';
import { rateLimitHooks } from '../../src/http/rate-limit-hooks.ts';
import type { Logger } from '../../src/ports/logger.ts';
import type { RateLimitStore } from '../../src/ports/rate-limit-store.ts';
import { readInput } from '../support/child.ts';

export interface LimiterCostInput {
  redisUrl?: string;
  batches: number;
  requestsPerBatch: number;
}

export type LimiterCostResult = Record<'off' | 'memory' | 'redis', number | null>;

const input = await readInput<LimiterCostInput>();
const log = { warn() {}, info() {}, debug() {}, error() {}, child: () => log } as unknown as Logger;
/** As in the bench deployments: every request counted, none refused. */
const policies = rateLimitPolicies({ sends: { quota: 100_000_000, windowSeconds: 60 } });
const USERS = ['u1', 'u2', 'u3', 'u4', 'u5'];
const BODY = { message_id: '6f1c1f7e-3d1a-4c55-9a7e-0b0d4f5e2c11', payload: { type: 'text', text: 'Benchmark message of about a hundred characters.' } };

async function app(hook: onRequestHookHandler | undefined) {
  const server = Fastify();
  let next = 0;
  server.addHook('onRequest', async (request) => {
    (request as unknown as { caller: { userId: string } }).caller = { userId: USERS[next++ % USERS.length]! };
  });
  server.post('/v1/messages', { onRequest: hook }, async () => ({ status: 'accepted' }));
  await server.ready();
  return server;
}

const stores: Array<[keyof LimiterCostResult, RateLimitStore | undefined]> = [
  ['off', undefined],
  ['memory', new MemoryRateLimitStore()],
];
if (input.redisUrl) {
  const redis = new RedisRateLimitStore({ url: input.redisUrl, keyPrefix: `bench-limiter-${process.pid}:`, log });
  for (let i = 0; !(await redis.ping().then(() => true, () => false)); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  stores.push(['redis', redis]);
}
const apps = await Promise.all(stores.map(async ([name, store]) => [name, await app(store && rateLimitHooks(new RateLimiter(store, log), policies).sends)] as const));
const samples: Record<string, number[]> = {};
for (let batch = 0; batch < input.batches; batch++) {
  for (let turn = 0; turn < apps.length; turn++) {
    const [name, server] = apps[(batch + turn) % apps.length]!;
    const before = process.cpuUsage();
    for (let i = 0; i < input.requestsPerBatch; i++) await server.inject({ method: 'POST', url: '/v1/messages', payload: BODY });
    const used = process.cpuUsage(before);
    // The first batch warms the JIT up: not counted.
    if (batch > 0) (samples[name] ??= []).push((used.user + used.system) / input.requestsPerBatch);
  }
}
const median = (values: number[] | undefined) => {
  if (!values?.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)]! * 10) / 10;
};
const result: LimiterCostResult = { off: median(samples.off), memory: median(samples.memory), redis: median(samples.redis) };
for (const [, store] of stores) await store?.close();
process.stdout.write(`${JSON.stringify(result)}\n`);
