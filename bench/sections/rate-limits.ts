import { fileURLToPath } from 'node:url';
import type { ClosedLoadResult } from '../load/closed-load.ts';
import type { LimiterCostInput, LimiterCostResult } from '../load/limiter-cost.ts';
import type { Sender } from '../load/senders.ts';
import { cpuMeter, pidsNamed } from '../support/cpu.ts';
import { runJson } from '../support/child.ts';
import { startDeployment, type Deployment } from '../support/deployment.ts';
import { CONNECTIONS, CONVERSATIONS_PER_SENDER } from './accept.ts';
import { closedLoad, CPU_NOTE, cpuCell, signInSenders } from './common.ts';
import type { BenchContext, Section, SectionResult } from './section.ts';

/**
 * Limits on: every limit, with the quotas every bench deployment has (bench/support/deployment.ts), raised so far
 * that the load (5 senders at hundreds of messages a second each) is never refused: each request pays for all the
 * limiting does (a counter hit, in Redis on PostgreSQL, and the two fields) and the load is the same as with them off.
 */
const VARIANTS = {
  off: { CHAT4ALL_RATE_LIMITS: 'off' },
  on: {},
} as const;
type Variant = keyof typeof VARIANTS;

interface Round {
  variant: Variant;
  load: ClosedLoadResult;
  cpu: Record<string, number>;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** Server CPU (hub, PostgreSQL, Kafka, Redis) per accepted message, in µs. */
function cpuPerMessage(cpu: Record<string, number>, seconds: number, messages: number): number {
  const { machine: _, ...groups } = cpu;
  const percent = Object.values(groups).reduce((sum, value) => sum + value, 0);
  return (percent * 10_000 * seconds) / Math.max(1, messages);
}

/**
 * What the rate limits cost the accept path: the API alone (no pipeline sharing the cores, so the limiter's share of
 * the work is the largest it gets), with every limit counting and with none. Two deployments of each, started in the
 * order off, on, on, off (a process can be a few % faster or slower than its twin for reasons of its own: JIT, heap
 * layout), all up at once and measured in turn, round after round in a rotating order, so drift of a shared machine
 * and the luck of one process fall on both variants alike.
 */
export const rateLimitsSection: Section = {
  name: 'rate-limits',
  title: 'Rate limits: accept throughput (POST /v1/messages, API alone) with every limit counting vs none, windows in turn',
  async run(context: BenchContext): Promise<SectionResult> {
    const seconds = context.quick ? { warmup: 2, measure: 4, rounds: 1 } : { warmup: 5, measure: 5, rounds: 6 };
    const rows: SectionResult['rows'] = [];
    const data: Record<string, unknown> = {};
    // First, while no deployment runs: the limiter's own CPU per request, in one process (bench/load/limiter-cost.ts).
    context.log('rate-limits: the limiter\'s CPU per request, in one process');
    const microInput: LimiterCostInput = { ...(process.env.REDIS_URL ? { redisUrl: process.env.REDIS_URL } : {}), batches: context.quick ? 6 : 40, requestsPerBatch: 2_000 };
    const limiterCost = await runJson<LimiterCostResult>(fileURLToPath(new URL('../load/limiter-cost.ts', import.meta.url)), microInput, { timeoutMs: 600_000 });
    data.limiterCost = limiterCost;
    for (const mode of context.modes) {
      const started: Array<{ variant: Variant; deployment: Deployment; senders: Sender[] }> = [];
      try {
        for (const variant of ['off', 'on', 'on', 'off'] as const) {
          context.log(`rate-limits: ${mode} API, limits ${variant}`);
          const deployment = await startDeployment({ mode, roles: 'api', env: VARIANTS[variant] });
          started.push({ variant, deployment, senders: [] });
          const senders = await signInSenders(deployment.url, CONVERSATIONS_PER_SENDER);
          started.at(-1)!.senders = senders;
          await closedLoad({ url: deployment.url, connections: CONNECTIONS, durationSeconds: seconds.warmup, task: { kind: 'messages', senders } });
        }
        const windows: Array<Round & { round: number; deployment: number }> = [];
        for (let round = 0; round < seconds.rounds; round++) {
          for (let turn = 0; turn < started.length; turn++) {
            const index = (round + turn) % started.length;
            const { variant, deployment, senders } = started[index]!;
            const groups = mode === 'distributed' ? { ...deployment.cpuGroups, redis: () => pidsNamed(/^redis-server$/) } : deployment.cpuGroups;
            const meter = cpuMeter(groups);
            const load = await closedLoad({ url: deployment.url, connections: CONNECTIONS, durationSeconds: seconds.measure, task: { kind: 'messages', senders } });
            windows.push({ round, deployment: index, variant, load, cpu: meter() });
            context.log(`rate-limits: ${mode} limits ${variant} (#${index + 1}): ${load.okPerSecond} accepted/s, ${load.non2xx} non-2xx`);
          }
        }
        data[mode] = windows;
        const perMessage = (window: Round) => cpuPerMessage(window.cpu, seconds.measure, window.load.ok);
        const summary = (variant: Variant) => {
          const mine = windows.filter((window) => window.variant === variant);
          return {
            perSecond: median(mine.map((window) => window.load.okPerSecond)),
            windows: mine.map((window) => window.load.okPerSecond),
            p50: median(mine.map((window) => window.load.latencyMs.p50)),
            p99: median(mine.map((window) => window.load.latencyMs.p99)),
            refused: mine.reduce((sum, window) => sum + window.load.non2xx + window.load.errors + window.load.timeouts, 0),
            cpuPerMessage: median(mine.map(perMessage)),
            last: mine.at(-1)!,
          };
        };
        // Within a round the four windows are close in time: on/off of their sums cancels most of the drift between rounds.
        const perRound = (figure: (window: Round) => number) =>
          median(
            Array.from({ length: seconds.rounds }, (_, round) => {
              const sum = (variant: Variant) =>
                windows.filter((window) => window.round === round && window.variant === variant).reduce((total, window) => total + figure(window), 0);
              return sum('on') / sum('off');
            }),
          );
        const throughputCost = (1 - perRound((window) => window.load.okPerSecond)) * 100;
        const cpuCost = (perRound(perMessage) - 1) * 100;
        const extra = (mode === 'distributed' ? limiterCost.redis : limiterCost.memory) ?? null;
        const perRequest = extra === null || limiterCost.off === null ? null : Math.max(0, extra - limiterCost.off);
        const offCpu = summary('off').cpuPerMessage;
        for (const variant of ['off', 'on'] as const) {
          const figures = summary(variant);
          rows.push([
            mode,
            variant === 'on' ? `on (${mode === 'distributed' ? 'Redis' : 'memory'})` : 'off',
            Math.round(figures.perSecond),
            figures.windows.join(', '),
            figures.p50,
            figures.p99,
            figures.refused,
            Math.round(figures.cpuPerMessage),
            variant === 'on' ? `${throughputCost.toFixed(1)} %` : '',
            variant === 'on' ? `${cpuCost.toFixed(1)} %` : '',
            variant === 'on' && perRequest !== null ? `+${perRequest.toFixed(1)} µs` : '',
            variant === 'on' && perRequest !== null ? `${((perRequest / offCpu) * 100).toFixed(1)} %` : '',
            cpuCell(figures.last.cpu, [figures.last.load.loadCpuPercent]),
          ]);
        }
      } finally {
        for (const { deployment } of started) {
          await deployment.stop();
          await deployment.removeState();
        }
      }
    }
    return {
      columns: [
        'mode',
        'limits',
        'accepted/s (median)',
        'accepted/s per window',
        'p50 ms',
        'p99 ms',
        'errors',
        'CPU µs/msg',
        'throughput cost',
        'CPU cost/msg',
        'limiter CPU/request (one process)',
        'its share of the off CPU µs/msg',
        'CPU % of one core (last window)',
      ],
      rows,
      notes: [
        `The REST API alone (\`chat4all api\`, no pipeline), four deployments up at once, started in the order off, on, on, off: limits off (\`CHAT4ALL_RATE_LIMITS=off\`) and on (every limit, ` +
          `every quota raised to 100000000/1m, as in every bench deployment, so nothing is refused: each send still counts and gets its two fields). ` +
          `autocannon, ${CONNECTIONS} connections, each deployment warmed up ${seconds.warmup} s, then ${seconds.rounds} rounds of one ${seconds.measure} s window per deployment, in an order rotating each round; ` +
          '5 senders × 20 private conversations as in the accept section.',
        'On PostgreSQL the counters are in Redis (REDIS_URL, the runner\'s own server), a busy sender\'s counted ahead in blocks of up to 64; embedded, in the process\'s memory.',
        `limiter CPU/request: bench/load/limiter-cost.ts, in one process before the deployments, the sends route's hook on a bare Fastify route (a JSON body, 5 users in turn) against the route alone ` +
          `(${limiterCost.off} µs per request through inject), in ${microInput.batches} interleaved batches of ${microInput.requestsPerBatch} requests (medians; the machine's other work falls on all alike): ` +
          `+${limiterCost.memory === null || limiterCost.off === null ? '?' : (limiterCost.memory - limiterCost.off).toFixed(1)} µs with counters in memory, ` +
          `${limiterCost.redis === null || limiterCost.off === null ? 'Redis not measured (no REDIS_URL)' : `+${(limiterCost.redis - limiterCost.off).toFixed(1)} µs in Redis (Redis's own CPU not included)`}. ` +
          'Its share of the off rows\' server CPU µs/msg is what it takes from accept throughput where the server is CPU-bound, as here: the steadiest of these figures on a shared machine.',
        'throughput cost = 1 − the median over rounds of (sum of on accepted/s) / (sum of off accepted/s); CPU cost/msg = the same median of the server\'s CPU µs per accepted message (hub, PostgreSQL, Kafka, Redis), on/off − 1 (it moves with the machine\'s load too: CPU per message rises when other work shares the cores and caches). errors counts every non-2xx (a 429 would be one).',
        CPU_NOTE,
      ],
      data,
    };
  },
};
