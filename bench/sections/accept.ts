import type { TestMode } from '../../test/support/test-modes.ts';
import { startFloor } from '../floor/floor.ts';
import type { ClosedLoadInput, ClosedLoadResult } from '../load/closed-load.ts';
import { closedLoad, CPU_NOTE, cpuCell, pct, signInSenders, withDeployment } from './common.ts';
import { cpuMeter, type CpuGroups } from '../support/cpu.ts';
import type { Roles } from '../support/deployment.ts';
import type { BenchContext, Section, SectionResult } from './section.ts';

export const CONNECTIONS = 50;
/** 5 senders × 20 = 100 conversations. */
export const CONVERSATIONS_PER_SENDER = 20;

/**
 * CPU time the server side (hub or floor processes, PostgreSQL, Kafka; not the load generator) spent per
 * accepted message: unlike messages/s, it hardly moves when other work shares the machine.
 */
function cpuPerMessage({ load, cpu }: Measured): number {
  const { machine: _, ...groups } = cpu;
  const percent = Object.values(groups).reduce((sum, value) => sum + value, 0);
  return Math.round((percent * 10_000) / Math.max(1, load.okPerSecond));
}

export interface Measured {
  load: ClosedLoadResult;
  cpu: Record<string, number>;
}

/** Closed-model POST /v1/messages after a short warm-up (JIT, pools), with the CPU each process used. */
export async function measureAccept(
  url: string,
  task: ClosedLoadInput['task'],
  groups: CpuGroups,
  seconds: { warmup: number; measure: number },
): Promise<Measured> {
  await closedLoad({ url, connections: CONNECTIONS, durationSeconds: seconds.warmup, task });
  const meter = cpuMeter(groups);
  const load = await closedLoad({ url, connections: CONNECTIONS, durationSeconds: seconds.measure, task });
  return { load, cpu: meter() };
}

const ENGINE: Record<TestMode, string> = { embedded: 'PGlite', distributed: 'PostgreSQL' };
const ROLES: Record<Roles, string> = {
  all: 'every role running',
  'one-process': 'every role in one process',
  api: 'API only (pipeline stopped)',
};

export const acceptSection: Section = {
  name: 'accept',
  title: 'Accept throughput: POST /v1/messages, 50 connections, closed model',
  async run(context: BenchContext): Promise<SectionResult> {
    const seconds = context.quick ? { warmup: 2, measure: 6 } : { warmup: 5, measure: 20 };
    const rows: SectionResult['rows'] = [];
    const data: Record<string, unknown> = {};
    for (const mode of context.modes) {
      context.log(`accept: ${mode} floor`);
      const floor = await startFloor(mode);
      // The floor needs no tokens or conversations, any valid body will do.
      const floorTask = { kind: 'messages' as const, senders: [{ token: 'floor', userId: crypto.randomUUID(), conversations: [crypto.randomUUID()] }] };
      const floorRun = await measureAccept(floor.url, floorTask, floor.cpuGroups, seconds).finally(() => floor.stop());
      const hub = async (roles: Roles) => {
        context.log(`accept: ${mode} hub, ${ROLES[roles]}`);
        return withDeployment({ mode, roles }, async (deployment) => {
          const senders = await signInSenders(deployment.url, CONVERSATIONS_PER_SENDER);
          return measureAccept(deployment.url, { kind: 'messages', senders }, deployment.cpuGroups, seconds);
        });
      };
      // --quick keeps the deployment as it ships; the full run adds the API alone and, on PostgreSQL, one process.
      const variants: Roles[] = context.quick ? ['all'] : mode === 'distributed' ? ['all', 'one-process', 'api'] : ['all', 'api'];
      const runs: Array<[string, Measured]> = [[`floor (${ENGINE[mode]}, one statement)`, floorRun]];
      for (const roles of variants) runs.push([`hub, ${ROLES[roles]}`, await hub(roles)]);
      data[mode] = Object.fromEntries(runs);
      for (const [what, run] of runs) {
        rows.push([
          mode,
          what,
          run.load.okPerSecond,
          run.load.latencyMs.p50,
          run.load.latencyMs.p99,
          run.load.non2xx + run.load.errors + run.load.timeouts,
          run === floorRun ? '' : pct((run.load.okPerSecond / floorRun.load.okPerSecond) * 100),
          cpuPerMessage(run),
          cpuCell(run.cpu, [run.load.loadCpuPercent]),
        ]);
      }
    }
    return {
      columns: ['mode', 'server', 'accepted/s', 'p50 ms', 'p99 ms', 'errors', 'hub/floor', 'CPU µs/msg', 'CPU % of one core'],
      rows,
      notes: [
        `autocannon in its own process, ${CONNECTIONS} connections, ${seconds.warmup} s warm-up then ${seconds.measure} s measured; ` +
          `each request a new message_id, 5 senders × ${CONVERSATIONS_PER_SENDER} private conversations, ~100-character text.`,
        'CPU µs/msg: CPU time of the server side (hub or floor, PostgreSQL, Kafka; not the load generator) per accepted message; it moves far less than messages/s when the machine is shared.',
        'The floor (bench/floor/) validates the same body with the hub\'s schema and inserts message + outbox row in one prepared statement.',
        CPU_NOTE,
      ],
      data,
    };
  },
};
