import { ApiClient, waitFor } from '../../test/support/api-client.ts';
import type { OpenLoadResult } from '../load/open-load.ts';
import { cpuMeter } from '../support/cpu.ts';
import { deliveryStats, type DeliveryStats } from '../support/delivery-stats.ts';
import { startDeployment, type Deployment, type Roles } from '../support/deployment.ts';
import { CONVERSATIONS_PER_SENDER } from './accept.ts';
import { CPU_NOTE, cpuCell, openLoad, signInSenders } from './common.ts';
import type { BenchContext, Section, SectionResult } from './section.ts';

/** 100,000 messages a minute, the assignment's example load. */
/** The pipeline issue's rates: 1,000/s in both modes, and 1,667/s (the seed's 100,000 a minute) as well. */
export const RATES = [1_000, 1_667];
const MAX_SOCKETS = 256;
const DRAIN_TIMEOUT_MS = 60_000;

interface Step {
  ratePerSecond: number;
  load: OpenLoadResult;
  cpu: Record<string, number>;
  /** Seconds from the end of the load until the last accepted messages were delivered; null if not within the timeout. */
  drainSeconds: number | null;
  delivery: DeliveryStats;
}

/** Waits until the messages accepted last are delivered (or failed): the pipeline has caught up. */
async function drained(deployment: Deployment, lastAccepted: OpenLoadResult['lastAccepted']): Promise<number | null> {
  const started = performance.now();
  const client = new ApiClient(deployment.url);
  try {
    await waitFor(
      async () => {
        for (const { messageId, token } of lastAccepted) {
          const response = await client.request('GET', `/v1/messages/${messageId}`, { token });
          if (!['delivered', 'failed'].includes(response.body?.status)) return false;
        }
        return true;
      },
      { timeoutMs: DRAIN_TIMEOUT_MS, intervalMs: 250, what: 'the backlog to drain' },
    );
    return (performance.now() - started) / 1000;
  } catch {
    return null;
  }
}

async function step(context: BenchContext, mode: Deployment['mode'], roles: Roles, ratePerSecond: number, seconds: number): Promise<Step> {
  const deployment = await startDeployment({ mode, roles });
  try {
    const senders = await signInSenders(deployment.url, CONVERSATIONS_PER_SENDER);
    // Warm-up at the same rate, so the measured window starts with warm JIT, pools and consumers.
    const warm = await openLoad({ url: deployment.url, ratePerSecond, durationSeconds: 3, senders, maxSockets: MAX_SOCKETS, graceSeconds: 10 });
    await drained(deployment, warm.lastAccepted.slice(-5));
    const since = new Date();
    const meter = cpuMeter(deployment.cpuGroups);
    context.log(`open model: ${mode} (${roles}) at ${ratePerSecond}/s for ${seconds} s`);
    const load = await openLoad({ url: deployment.url, ratePerSecond, durationSeconds: seconds, senders, maxSockets: MAX_SOCKETS, graceSeconds: 15 });
    const cpu = meter();
    const drainSeconds = await drained(deployment, load.lastAccepted.slice(-25));
    await deployment.stop();
    return { ratePerSecond, load, cpu, drainSeconds, delivery: await deliveryStats(mode, deployment.dataDir, since) };
  } finally {
    await deployment.stop();
    await deployment.removeState();
  }
}

export const openModelSection: Section = {
  name: 'open-model',
  title: `Open-model latency: POST /v1/messages at a constant arrival rate (${RATES.join(' and ')}/s), every role running (distributed: one process per role unless it says one process)`,
  async run(context: BenchContext): Promise<SectionResult> {
    const rates = context.quick ? RATES.slice(0, 1) : RATES;
    const seconds = context.quick ? 8 : 30;
    const rows: SectionResult['rows'] = [];
    const data: Record<string, Step[]> = {};
    // Distributed: one process per role, and (full run) every role in one process, which spends less CPU on 2 cores.
    const deployments = context.modes.flatMap((mode): Array<[Deployment['mode'], Roles]> =>
      mode === 'distributed' && !context.quick ? [[mode, 'all'], [mode, 'one-process']] : [[mode, 'all']],
    );
    for (const [mode, roles] of deployments) {
      const name = roles === 'one-process' ? `${mode}, one process` : mode;
      data[name] = [];
      for (const rate of rates) {
        const result = await step(context, mode, roles, rate, seconds);
        data[name].push(result);
        const { load, delivery } = result;
        rows.push([
          name,
          result.ratePerSecond,
          Math.round(load.ok / seconds),
          load.latencyMs.p50,
          load.latencyMs.p99,
          load.latencyMs.p999,
          delivery.acceptToDeliveredMs.p50,
          delivery.acceptToDeliveredMs.p99,
          load.errors,
          delivery.pending === 0 && result.drainSeconds !== null ? `yes, ${result.drainSeconds.toFixed(1)} s` : `no: ${delivery.pending} pending`,
          cpuCell(result.cpu, [load.loadCpuPercent]),
        ]);
      }
    }
    return {
      columns: ['mode', 'offered/s', 'accepted/s', 'accept p50 ms', 'p99', 'p99.9', 'accept→delivered p50 ms', 'p99', 'errors', 'backlog drained', 'CPU % of one core'],
      rows,
      notes: [
        `Our open-model client (bench/load/open-load.ts) in its own process: request i is due at i/rate s; latency counts from when it was due, so a hub that falls behind cannot hide it. Up to ${MAX_SOCKETS} connections; ${seconds} s measured after a 3 s warm-up.`,
        'accept→delivered: each message\'s own acceptance and delivery times (created_at → delivered_at; on a hub from before migration 0007, its status history), over every message of the measured window, read from the database after the hub stopped.',
        '"backlog drained": the last accepted messages reached delivered after the load stopped (time shown), and no message of the window was left pending.',
        CPU_NOTE,
      ],
      data,
    };
  },
};
