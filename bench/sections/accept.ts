import type { TestMode } from '../../test/support/test-modes.ts';
import { startFloor } from '../floor/floor.ts';
import type { ClosedLoadInput, ClosedLoadResult } from '../load/closed-load.ts';
import { closedLoad, CPU_NOTE, cpuCell, pct, signInSenders, withDeployment } from './common.ts';
import { cpuMeter, type CpuGroups } from '../support/cpu.ts';
import type { Deployment, Roles } from '../support/deployment.ts';
import { deliveredCell, deliveryStats, type DeliveryStats } from '../support/delivery-stats.ts';
import { LogTail, statementsByRole, statementsPerMessage, waitForDeliveryLines, type StatementCounts } from '../support/hub-logs.ts';
import { round } from '../support/stats.ts';
import type { BenchContext, Section, SectionResult } from './section.ts';

export const CONNECTIONS = 50;
/** 5 senders × 20 = 100 conversations. */
export const CONVERSATIONS_PER_SENDER = 20;

/**
 * CPU time the server side (hub or floor processes, PostgreSQL, Kafka; not the load generator) spent per
 * message, over `seconds` in which `messages` were handled: unlike messages/s, it hardly moves when other work
 * shares the machine.
 */
function cpuPerMessage(cpu: Record<string, number>, seconds: number, messages: number): number {
  const { machine: _, ...groups } = cpu;
  const percent = Object.values(groups).reduce((sum, value) => sum + value, 0);
  return Math.round((percent * 10_000 * seconds) / Math.max(1, messages));
}

export interface Measured {
  load: ClosedLoadResult;
  cpu: Record<string, number>;
}

/** What a deployment with its pipeline running adds to the accept figures. */
export interface Drained {
  /** Messages accepted during the warm-up, delivered before the measured window started. */
  warmupAccepted: number;
  /** Seconds from the end of the window until every message accepted so far was handed over; null: not within the timeout. */
  drainSeconds: number | null;
  /** Messages accepted in the window / (window + drain). */
  sustainedPerSecond: number | null;
  /** CPU over the window and the drain, in % of one core, and how long that was. */
  cpuToDelivered: Record<string, number>;
  toDeliveredSeconds: number;
  /** From the hub's database after it stopped: every message of the deployment. */
  delivery: DeliveryStats;
  statements: StatementCounts | null;
}

const DELIVERY_NOTE = 'drain: from the end of the window until the last of the delivery lines (`INFO: Mensagem … no WhatsApp`, one per message here) was written to the hub\'s log, read as it grows (the hub is not asked); sustained/s = messages accepted in the window / (window + drain).';

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

/**
 * The issue's measurement: closed model, then every accepted message drained and checked. The warm-up's
 * messages are delivered before the window starts; after the window, the time until the pipeline has handed
 * over every message accepted so far (the connectors' delivery lines in the hub's own log); after the
 * deployment stopped, each message's status in its database (delivered, failed or still pending).
 */
async function measureAcceptAndDrain(
  deployment: Deployment,
  task: ClosedLoadInput['task'],
  seconds: { warmup: number; measure: number; drainTimeout: number },
  log: (line: string) => void,
): Promise<Measured & Drained> {
  const tail = new LogTail(deployment.logFiles);
  const since = new Date(0);
  const warm = await closedLoad({ url: deployment.url, connections: CONNECTIONS, durationSeconds: seconds.warmup, task });
  const warmDrain = await waitForDeliveryLines(tail, warm.ok, seconds.drainTimeout * 1000);
  if (warmDrain === null) log(`accept: the warm-up's ${warm.ok} messages were not all delivered within ${seconds.drainTimeout} s`);
  const meter = cpuMeter(deployment.cpuGroups);
  const started = performance.now();
  const load = await closedLoad({ url: deployment.url, connections: CONNECTIONS, durationSeconds: seconds.measure, task });
  const cpu = meter();
  const windowSeconds = (performance.now() - started) / 1000;
  const drainSeconds = await waitForDeliveryLines(tail, warm.ok + load.ok, seconds.drainTimeout * 1000);
  const cpuToDelivered = meter();
  const toDeliveredSeconds = (performance.now() - started) / 1000;
  log(`accept: ${load.ok} accepted in ${windowSeconds.toFixed(1)} s, drained ${drainSeconds === null ? `not within ${seconds.drainTimeout} s` : `in ${drainSeconds.toFixed(1)} s`}`);
  await deployment.stop();
  const delivery = await deliveryStats(deployment.mode, deployment.dataDir, since);
  return {
    load,
    cpu,
    warmupAccepted: warm.ok,
    drainSeconds,
    sustainedPerSecond: drainSeconds === null ? null : Math.round(load.ok / (seconds.measure + drainSeconds)),
    cpuToDelivered,
    toDeliveredSeconds,
    delivery,
    statements: statementsByRole(deployment.logFiles),
  };
}

const ENGINE: Record<TestMode, string> = { embedded: 'PGlite', distributed: 'PostgreSQL' };
const ROLES: Record<Roles, string> = {
  all: 'every role running',
  'one-process': 'every role in one process',
  api: 'API only (pipeline stopped)',
};

export const acceptSection: Section = {
  name: 'accept',
  title: 'Accept throughput: POST /v1/messages, 50 connections, closed model, every accepted message then drained and checked',
  async run(context: BenchContext): Promise<SectionResult> {
    const seconds = context.quick ? { warmup: 2, measure: 6, drainTimeout: 60 } : { warmup: 5, measure: 20, drainTimeout: 180 };
    const rows: SectionResult['rows'] = [];
    const data: Record<string, unknown> = {};
    for (const mode of context.modes) {
      context.log(`accept: ${mode} floor`);
      const floor = await startFloor(mode);
      // The floor needs no tokens or conversations, any valid body will do.
      const floorTask = { kind: 'messages' as const, senders: [{ token: 'floor', userId: crypto.randomUUID(), conversations: [crypto.randomUUID()] }] };
      const floorRun = await measureAccept(floor.url, floorTask, floor.cpuGroups, seconds).finally(() => floor.stop());
      const hub = async (roles: Roles): Promise<Measured & Partial<Drained>> => {
        context.log(`accept: ${mode} hub, ${ROLES[roles]}`);
        return withDeployment({ mode, roles }, async (deployment) => {
          const senders = await signInSenders(deployment.url, CONVERSATIONS_PER_SENDER);
          const task = { kind: 'messages' as const, senders };
          // The API alone has no pipeline: nothing to drain.
          if (roles === 'api') return measureAccept(deployment.url, task, deployment.cpuGroups, seconds);
          return measureAcceptAndDrain(deployment, task, seconds, context.log);
        });
      };
      // --quick keeps the deployment as it ships; the full run adds the API alone and, on PostgreSQL, one process.
      const variants: Roles[] = context.quick ? ['all'] : mode === 'distributed' ? ['all', 'one-process', 'api'] : ['all', 'api'];
      const runs: Array<[string, Measured & Partial<Drained>]> = [[`floor (${ENGINE[mode]}, one statement)`, floorRun]];
      for (const roles of variants) runs.push([`hub, ${ROLES[roles]}`, await hub(roles)]);
      data[mode] = Object.fromEntries(runs);
      for (const [what, run] of runs) {
        const drained = run.delivery !== undefined;
        const messages = (run.warmupAccepted ?? 0) + run.load.ok;
        rows.push([
          mode,
          what,
          run.load.okPerSecond,
          run.load.latencyMs.p50,
          run.load.latencyMs.p99,
          run.load.non2xx + run.load.errors + run.load.timeouts,
          run === floorRun ? '' : pct((run.load.okPerSecond / floorRun.load.okPerSecond) * 100),
          drained ? (run.drainSeconds === null ? `> ${seconds.drainTimeout}` : round(run.drainSeconds!)) : null,
          drained ? run.sustainedPerSecond! : null,
          drained ? deliveredCell(run.delivery!) : null,
          cpuPerMessage(run.cpu, seconds.measure, run.load.ok),
          drained ? cpuPerMessage(run.cpuToDelivered!, run.toDeliveredSeconds!, run.load.ok) : null,
          drained ? statementsPerMessage(run.statements!, messages) : null,
          cpuCell(run.cpu, [run.load.loadCpuPercent]),
        ]);
      }
    }
    return {
      columns: [
        'mode',
        'server',
        'accepted/s',
        'p50 ms',
        'p99 ms',
        'errors',
        'hub/floor',
        'drain s',
        'sustained/s',
        'every message delivered',
        'CPU µs/msg (window)',
        'CPU µs/msg to delivered',
        'SQL statements/msg by role',
        'CPU % of one core',
      ],
      rows,
      notes: [
        `autocannon in its own process, ${CONNECTIONS} connections, ${seconds.warmup} s warm-up then ${seconds.measure} s measured; ` +
          `each request a new message_id, 5 senders × ${CONVERSATIONS_PER_SENDER} private conversations, ~100-character text, channel whatsapp.`,
        'With the pipeline running, the window starts once the warm-up\'s messages are delivered. ' + DELIVERY_NOTE,
        `every message delivered: after the deployment stopped, each message's status in its database (warm-up and window; pending = neither delivered nor failed). Drains are given up after ${seconds.drainTimeout} s.`,
        'CPU µs/msg (window): CPU time of the server side (hub or floor, PostgreSQL, Kafka; not the load generator) per accepted message over the window, as before; ' +
          'to delivered: over the window and the drain, per message accepted in the window (what accepting and delivering a message cost). It moves far less than messages/s when the machine is shared.',
        'SQL statements/msg by role: the counts each hub process logs when it stops ("SQL statements by role"), summed by role over the deployment\'s whole life (start-up, sign-in, warm-up, window, drain, idle polls) ' +
          'and divided by every message it accepted; "other" is outside any role (migrations, start-up); n/a: the hub logs no counts.',
        'The floor (bench/floor/) validates the same body with the hub\'s schema and inserts message + outbox row in one prepared statement.',
        CPU_NOTE,
      ],
      data,
    };
  },
};
