import type { ClosedLoadResult } from '../load/closed-load.ts';
import type { Sender } from '../load/senders.ts';
import { cpuMeter, pidsNamed } from '../support/cpu.ts';
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
 * the work is the largest it gets), once with every limit counting and once with none, both deployments up at once
 * and measured in alternating windows, so drift of a shared machine falls on both alike.
 */
export const rateLimitsSection: Section = {
  name: 'rate-limits',
  title: 'Rate limits: accept throughput (POST /v1/messages, API alone) with every limit counting vs none, alternating windows',
  async run(context: BenchContext): Promise<SectionResult> {
    const seconds = context.quick ? { warmup: 2, measure: 5, rounds: 2 } : { warmup: 5, measure: 10, rounds: 4 };
    const rows: SectionResult['rows'] = [];
    const data: Record<string, unknown> = {};
    for (const mode of context.modes) {
      const deployments: Partial<Record<Variant, Deployment>> = {};
      try {
        const senders: Partial<Record<Variant, Sender[]>> = {};
        for (const variant of Object.keys(VARIANTS) as Variant[]) {
          context.log(`rate-limits: ${mode} API, limits ${variant}`);
          const deployment = await startDeployment({ mode, roles: 'api', env: VARIANTS[variant] });
          deployments[variant] = deployment;
          senders[variant] = await signInSenders(deployment.url, CONVERSATIONS_PER_SENDER);
          await closedLoad({ url: deployment.url, connections: CONNECTIONS, durationSeconds: seconds.warmup, task: { kind: 'messages', senders: senders[variant] } });
        }
        const rounds: Round[] = [];
        for (let round = 0; round < seconds.rounds; round++) {
          // off, on, on, off, off, on, …: each variant goes first as often as second.
          const order: Variant[] = round % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
          for (const variant of order) {
            const deployment = deployments[variant]!;
            const groups = mode === 'distributed' ? { ...deployment.cpuGroups, redis: () => pidsNamed(/^redis-server$/) } : deployment.cpuGroups;
            const meter = cpuMeter(groups);
            const load = await closedLoad({ url: deployment.url, connections: CONNECTIONS, durationSeconds: seconds.measure, task: { kind: 'messages', senders: senders[variant]! } });
            rounds.push({ variant, load, cpu: meter() });
            context.log(`rate-limits: ${mode} limits ${variant}: ${load.okPerSecond} accepted/s, ${load.non2xx} non-2xx`);
          }
        }
        data[mode] = rounds;
        const summary = (variant: Variant) => {
          const mine = rounds.filter((round) => round.variant === variant);
          return {
            perSecond: median(mine.map((round) => round.load.okPerSecond)),
            rounds: mine.map((round) => round.load.okPerSecond),
            p50: median(mine.map((round) => round.load.latencyMs.p50)),
            p99: median(mine.map((round) => round.load.latencyMs.p99)),
            refused: mine.reduce((sum, round) => sum + round.load.non2xx + round.load.errors + round.load.timeouts, 0),
            cpuPerMessage: median(mine.map((round) => cpuPerMessage(round.cpu, seconds.measure, round.load.ok))),
            cpu: mine.at(-1)!,
          };
        };
        const off = summary('off');
        const on = summary('on');
        for (const [variant, figures] of [['off', off], ['on', on]] as const) {
          rows.push([
            mode,
            variant === 'on' ? `on (${mode === 'distributed' ? 'Redis' : 'memory'})` : 'off',
            Math.round(figures.perSecond),
            figures.rounds.join(', '),
            figures.p50,
            figures.p99,
            figures.refused,
            Math.round(figures.cpuPerMessage),
            variant === 'on' ? `${(((off.perSecond - on.perSecond) / off.perSecond) * 100).toFixed(1)} %` : '',
            variant === 'on' ? `${(((on.cpuPerMessage - off.cpuPerMessage) / off.cpuPerMessage) * 100).toFixed(1)} %` : '',
            cpuCell(figures.cpu.cpu, [figures.cpu.load.loadCpuPercent]),
          ]);
        }
      } finally {
        for (const deployment of Object.values(deployments)) {
          await deployment.stop();
          await deployment.removeState();
        }
      }
    }
    return {
      columns: ['mode', 'limits', 'accepted/s (median)', 'accepted/s per window', 'p50 ms', 'p99 ms', 'errors', 'CPU µs/msg', 'throughput cost', 'CPU cost/msg', 'CPU % of one core (last window)'],
      rows,
      notes: [
        `The REST API alone (\`chat4all api\`, no pipeline), two deployments up at once: limits off (\`CHAT4ALL_RATE_LIMITS=off\`) and on (every limit, ` +
          `every quota raised to 100000000/1m, as in every bench deployment, so nothing is refused: each send still counts and gets its two fields). ` +
          `autocannon, ${CONNECTIONS} connections, each deployment warmed up ${seconds.warmup} s, then ${seconds.rounds} windows of ${seconds.measure} s each, alternating (off, on, on, off, …); ` +
          '5 senders × 20 private conversations as in the accept section.',
        'On PostgreSQL the counters are in Redis (REDIS_URL, the runner\'s own server): one Lua round trip per send. Embedded, in the process\'s memory.',
        'throughput cost = (off − on) / off of the medians; CPU cost/msg = (on − off) / off of the server\'s CPU µs per accepted message (hub, PostgreSQL, Kafka, Redis), which moves less when others share the machine. errors counts every non-2xx (a 429 would be one).',
        CPU_NOTE,
      ],
      data,
    };
  },
};
