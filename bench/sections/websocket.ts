import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ApiClient, type Session } from '../../test/support/api-client.ts';
import type { TestMode } from '../../test/support/test-modes.ts';
import type { WsEventsInput, WsEventsResult } from '../load/ws-events.ts';
import type { WsIdleInput, WsIdleResult } from '../load/ws-idle.ts';
import { runJson } from '../support/child.ts';
import { cpuMeter } from '../support/cpu.ts';
import { freshState, startDeployment, type Deployment, type Roles } from '../support/deployment.ts';
import { seedUsers } from '../support/seed-users.ts';
import { CONVERSATIONS_PER_SENDER } from './accept.ts';
import { CPU_NOTE, cpuCell, DEMO_PASSWORD, signInSenders } from './common.ts';
import { RATES } from './open-model.ts';
import type { BenchContext, Cell, Section, SectionResult } from './section.ts';

/** Groups hold 3 to 100 members: the largest one. */
const GROUP_SIZE = 100;
const IDLE_CONNECTIONS = 10_000;
/**
 * This section signs in 105 users: at the shipped bcrypt cost that alone would take half a minute of CPU.
 * Logins are the login section's subject; here the hub hashes at the lowest cost.
 */
const BCRYPT_ROUNDS = '4';
/**
 * Well below either pipeline's capacity even on a shared machine (latency stays flat over the window), so the
 * figure is the pipeline's latency rather than a backlog's age.
 */
const STEADY_RATE = 200;
const FAN_OUT_RATE = 20;

interface Settings {
  idleConnections: number;
  heartbeatMs: number;
  holdMs: number;
  quietMs: number;
  /** Distributed mode's deployment: one process per role, or (--quick, ~8 s less to start) all in one. */
  distributedRoles: Roles;
  deliveredRates: number[];
  delivered: { warmupSeconds: number; measureSeconds: number; graceSeconds: number };
  fanOut: { warmupSeconds: number; measureSeconds: number; graceSeconds: number };
}

/**
 * The full run keeps the shipped heartbeat (25 s) and holds the idle connections past two of them, so a socket
 * that missed a pong would have been dropped; --quick shortens the heartbeat to fit its budget.
 */
const SETTINGS: Record<'quick' | 'full', Settings> = {
  quick: {
    idleConnections: 2_000,
    heartbeatMs: 500,
    holdMs: 1_500,
    quietMs: 500,
    distributedRoles: 'one-process',
    deliveredRates: [RATES[0]!],
    delivered: { warmupSeconds: 0.5, measureSeconds: 2.5, graceSeconds: 20 },
    fanOut: { warmupSeconds: 0.5, measureSeconds: 1.5, graceSeconds: 20 },
  },
  full: {
    idleConnections: IDLE_CONNECTIONS,
    heartbeatMs: 25_000,
    holdMs: 52_000,
    quietMs: 5_000,
    distributedRoles: 'all',
    deliveredRates: [STEADY_RATE, ...RATES],
    delivered: { warmupSeconds: 3, measureSeconds: 20, graceSeconds: 90 },
    fanOut: { warmupSeconds: 1, measureSeconds: 10, graceSeconds: 30 },
  },
};

/** The soft limit on open files this process (and so each client process it starts) runs with. */
function openFilesLimit(): number {
  const line = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
  return line === undefined || line === 'unlimited' ? Number.POSITIVE_INFINITY : Number(line);
}

const script = (name: string) => fileURLToPath(new URL(`../load/${name}`, import.meta.url));
const wsIdle = (input: WsIdleInput) => runJson<WsIdleResult>(script('ws-idle.ts'), input, { timeoutMs: input.holdMs + 180_000 });
const wsEvents = (input: WsEventsInput) =>
  runJson<WsEventsResult>(script('ws-events.ts'), input, {
    timeoutMs: (input.warmupSeconds + input.measureSeconds + input.graceSeconds + 60) * 1000,
  });

interface Measured<T> {
  result: T;
  cpu: Record<string, number>;
}

async function metered<T extends { loadCpuPercent: number }>(deployment: Deployment, run: () => Promise<T>): Promise<Measured<T>> {
  const meter = cpuMeter(deployment.cpuGroups);
  const result = await run();
  return { result, cpu: meter() };
}

interface ModeData {
  idle: WsIdleResult;
  fanOut: Measured<WsEventsResult>;
  delivered: Array<{ ratePerSecond: number } & Measured<WsEventsResult>>;
}

/** One deployment per mode: users seeded, then the idle connections (on a fresh process), fan-out, accept → delivered. */
async function measureMode(context: BenchContext, mode: TestMode, settings: Settings): Promise<ModeData> {
  const dataDir = await freshState();
  const env = { CHAT4ALL_WS_HEARTBEAT_MS: String(settings.heartbeatMs), BCRYPT_ROUNDS };
  const roles = mode === 'distributed' ? settings.distributedRoles : 'all';
  const options = { mode, roles, dataDir, env };
  context.log(`websocket: ${mode} (${roles}), starting, seeding ${GROUP_SIZE} users`);
  let deployment = await startDeployment(options);
  try {
    // The first start migrated the database; PGlite belongs to one process at a time, so seed while it is stopped.
    if (mode === 'embedded') await deployment.stop();
    const usernames = await seedUsers(mode, dataDir, 'user1', 'wsmember', GROUP_SIZE);
    if (mode === 'embedded') deployment = await startDeployment(options);
    const client = new ApiClient(deployment.url);
    const members: Session[] = await Promise.all(usernames.map((username) => client.login(username, DEMO_PASSWORD)));
    const clients = members.map(({ token, userId }) => ({ token, userId }));

    context.log(`websocket: ${mode}, ${settings.idleConnections.toLocaleString('en-US')} idle connections held ${settings.holdMs / 1000} s`);
    // The API is the first process a deployment starts (in embedded mode the only one).
    const apiPid = deployment.cpuGroups.hub!()[0]!;
    const idle = await wsIdle({ url: deployment.url, clients, connections: settings.idleConnections, concurrency: 100, holdMs: settings.holdMs, quietMs: settings.quietMs, apiPid });

    context.log(`websocket: ${mode}, fan-out to a ${GROUP_SIZE}-member group at ${FAN_OUT_RATE}/s`);
    const groupId = await members[0]!.createConversation('group', members.map((member) => member.userId), { name: 'Fan-out' });
    const author = { token: members[0]!.token, userId: members[0]!.userId, conversations: [groupId] };
    const fanOut = await metered(deployment, () =>
      wsEvents({ url: deployment.url, listeners: clients, senders: [author], awaits: 'created', ratePerSecond: FAN_OUT_RATE, maxSockets: 16, ...settings.fanOut }),
    );

    const senders = await signInSenders(deployment.url, CONVERSATIONS_PER_SENDER);
    const delivered: ModeData['delivered'] = [];
    for (const ratePerSecond of settings.deliveredRates) {
      context.log(`websocket: ${mode}, accept → delivered at ${ratePerSecond}/s`);
      const listeners = senders.map(({ token, userId }) => ({ token, userId }));
      const run = await metered(deployment, () =>
        wsEvents({ url: deployment.url, listeners, senders, awaits: 'delivered', ratePerSecond, maxSockets: 256, ...settings.delivered }),
      );
      delivered.push({ ratePerSecond, ...run });
    }
    return { idle, fanOut, delivered };
  } finally {
    await deployment.stop();
    await deployment.removeState();
  }
}

const eventRow = (mode: string, what: string, load: string, { result, cpu }: Measured<WsEventsResult>, details: string): Cell[] => [
  mode,
  what,
  load,
  result.expected,
  result.latencyMs.p50,
  result.latencyMs.p99,
  result.latencyMs.p999,
  result.latencyMs.max,
  result.missing + result.duplicates + result.closed,
  `${details}; POST p99 ${result.postLatencyMs.p99} ms, ${result.postErrors} errors; client send lag ≤ ${result.maxSendLagMs} ms`,
  cpuCell(cpu, [result.loadCpuPercent]),
];

function rows(testMode: TestMode, data: ModeData, settings: Settings): Cell[][] {
  const { idle, fanOut } = data;
  const mode = testMode === 'distributed' && settings.distributedRoles === 'one-process' ? 'distributed, one process' : testMode;
  const measured = (rate: number, seconds: number) => `${rate}/s × ${seconds} s`;
  return [
    ...data.delivered.map((run) =>
      eventRow(mode, 'accept → delivered (sender\'s socket)', measured(run.ratePerSecond, settings.delivered.measureSeconds), run, '5 senders'),
    ),
    eventRow(
      mode,
      `fan-out: message.created to ${GROUP_SIZE} members`,
      measured(FAN_OUT_RATE, settings.fanOut.measureSeconds),
      fanOut,
      `last member: p50 ${fanOut.result.lastListenerMs.p50}, p99 ${fanOut.result.lastListenerMs.p99}, max ${fanOut.result.lastListenerMs.max} ms`,
    ),
    [
      mode,
      `${idle.connections.toLocaleString('en-US')} idle connections, one API process`,
      `held ${settings.holdMs / 1000} s`,
      null,
      null,
      null,
      null,
      null,
      idle.closed,
      `API RSS ${idle.rssBeforeMiB} → ${idle.rssHeldMiB} MiB (peak ${idle.peakMiB}): ${idle.perConnectionKiB} KiB per connection; ` +
        `all open in ${idle.openSeconds} s, API CPU ${idle.apiCpuMsPerHandshake} ms per handshake; fewest pings on a socket ${idle.minPings}`,
      `api ${idle.apiCpuPercentBefore} before connecting, ${idle.apiCpuPercentHeld} holding; load ${idle.loadCpuPercent}`,
    ],
  ];
}

export const websocketSection: Section = {
  name: 'websocket',
  title: `WebSockets (GET /v1/ws): accept → delivered and group fan-out from events, ${IDLE_CONNECTIONS.toLocaleString('en-US')} idle connections, every role running`,
  async run(context: BenchContext): Promise<SectionResult> {
    const settings = SETTINGS[context.quick ? 'quick' : 'full'];
    // One client process holds every idle connection: enough while the limit leaves room for them.
    const limit = openFilesLimit();
    if (limit < settings.idleConnections + 1_000) {
      throw new Error(`ulimit -n is ${limit}: the idle client needs ${settings.idleConnections + 1_000} open files (raise it, e.g. ulimit -n 20000)`);
    }
    const data: Record<string, ModeData> = {};
    const table: Cell[][] = [];
    for (const mode of context.modes) {
      data[mode] = await measureMode(context, mode, settings);
      table.push(...rows(mode, data[mode], settings));
    }
    return {
      columns: ['mode', 'what', 'load', 'events', 'p50 ms', 'p99', 'p99.9', 'max', 'missing', 'details', 'CPU % of one core'],
      rows: table,
      notes: [
        'Clients in their own processes (bench/load/ws-events.ts, ws-idle.ts) with the `ws` package, token in the Authorization header. ' +
          'Latency = arrival of the event on the client\'s socket − the time its POST /v1/messages was due (sent then, open model), on the client\'s clock.',
        ...(context.quick
          ? ['--quick runs distributed mode with every role in one process (one process to start, not eight); its short hold makes the idle "holding" CPU mostly the opening\'s aftermath.']
          : []),
        `accept → delivered: 5 senders × ${CONVERSATIONS_PER_SENDER} private conversations, each sender's own socket awaits message.status "delivered" of each message; ` +
          `${settings.delivered.warmupSeconds} s warm-up unmeasured, then the measured window; events = measured messages. ${STEADY_RATE}/s is well below either pipeline's capacity (the latency of the pipeline, not of a queue)` +
          `; ${RATES.join(' and ')}/s are the open-model section's rates (the pipeline issue's), where a pipeline that falls behind shows the backlog's age.`,
        `fan-out: one member sends into a group of ${GROUP_SIZE}, all ${GROUP_SIZE} members (the sender included) connected; events = (message, member) pairs, ` +
          '"last member" = per message, until the last of the members had it.',
        `idle: ${settings.idleConnections.toLocaleString('en-US')} connections${context.quick ? ` (${IDLE_CONNECTIONS.toLocaleString('en-US')} in the full run)` : ''} spread over ${GROUP_SIZE} users (no per-user limit in the hub), 100 handshakes at a time, ` +
          `from one client process (ulimit -n ${limit.toLocaleString('en-US')}); held without traffic past the server's heartbeat (CHAT4ALL_WS_HEARTBEAT_MS ${settings.heartbeatMs} ms` +
          `${context.quick ? ', shortened for --quick; 25,000 shipped' : ', as shipped'}), every socket answering pings. RSS from /proc/<api pid>/status: VmRSS before connecting and at the end of the hold, peak = VmHWM reset just before connecting; ` +
          'per connection = (held − before) / connections; CPU per handshake = the API process\'s CPU time while opening / connections.',
        `Users wsmember1…wsmember${GROUP_SIZE} are seeded in the database (the hub has no sign-up endpoint) with user1's password and sign in through POST /auth/token; ` +
          `these hubs hash at BCRYPT_ROUNDS=${BCRYPT_ROUNDS} so that 105 logins take milliseconds (the login section measures the shipped cost).`,
        'missing: events never received within the grace time, plus duplicates and closed sockets; for the idle row, connections that closed.',
        'CPU of the event rows: over each client run (sockets opening, warm-up, measured window, the wait for the last events).',
        CPU_NOTE,
      ],
      data,
    };
  },
};
