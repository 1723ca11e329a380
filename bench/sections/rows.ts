import { randomUUID } from 'node:crypto';
import { ApiClient, type Session } from '../../test/support/api-client.ts';
import type { TestMode } from '../../test/support/test-modes.ts';
import { MESSAGE_TEXT } from '../load/senders.ts';
import { freshState, startDeployment, type Deployment, type Roles } from '../support/deployment.ts';
import { statementsByRole, statementsPerMessage, type StatementCounts } from '../support/hub-logs.ts';
import { installRowTriggers, rowCounter, type Phase, type RowMethod, type TableWrites, type Writes } from '../support/row-counter.ts';
import { seedUsers } from '../support/seed-users.ts';
import { DEMO_PASSWORD, DEMO_USERS } from './common.ts';
import type { BenchContext, Cell, Section, SectionResult } from './section.ts';

/** The two shapes of message. */
type ShapeName = 'private' | 'group';
const SHAPES: Record<ShapeName, { label: string; channels: string[] }> = {
  private: { label: '1:1 text, one channel', channels: ['whatsapp'] },
  group: { label: '10-member group, two channels', channels: ['all'] },
};
const GROUP_SIZE = 10;
/** Logins of seeded users take milliseconds at this cost (the login section measures the shipped one). */
const BCRYPT_ROUNDS = '4';
const WAIT_TIMEOUT_MS = 120_000;

interface Settings {
  messages: number;
  /** Sends per second: modest, so the figures are the pipeline's per-message writes, not a backlog's. */
  ratePerSecond: number;
  /** A quiet window before the messages: what the deployment writes with no traffic (lease renewals). */
  idleSeconds: number;
  /** Triggers: how long a mark waits for the writes that follow a phase's visible end (notifier feeds, relay deletes). */
  settleSeconds: number;
  distributedRoles: Roles;
}

const SETTINGS: Record<'quick' | 'full', Settings> = {
  quick: { messages: 40, ratePerSecond: 50, idleSeconds: 2, settleSeconds: 2, distributedRoles: 'one-process' },
  full: { messages: 200, ratePerSecond: 50, idleSeconds: 5, settleSeconds: 3, distributedRoles: 'all' },
};

/** A conversation of the shape, its sender and the members who read what it sends. */
interface Thread {
  conversationId: string;
  sender: Session;
  readers: Session[];
  /** Seqs of the messages sent into it, in order. */
  seqs: number[];
}

interface ShapeData {
  mode: TestMode;
  shape: ShapeName;
  roles: Roles;
  method: RowMethod;
  messages: number;
  /** Receipts posted (one per message per reader). */
  receipts: number;
  /** idle (no traffic), accept → delivered, delivered → read. */
  phases: { idle: Phase; delivered: Phase; read: Phase };
  statements: StatementCounts | null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** 1:1: each demo user writes to the next in a private conversation. Group: user1 and 9 seeded users. */
async function setUp(deployment: Deployment, shape: ShapeName, seeded: string[]): Promise<Thread[]> {
  const client = new ApiClient(deployment.url);
  if (shape === 'private') {
    const sessions = await Promise.all(DEMO_USERS.map((username) => client.login(username, DEMO_PASSWORD)));
    return Promise.all(
      sessions.map(async (sender, i) => {
        const peer = sessions[(i + 1) % sessions.length]!;
        return { conversationId: await sender.createConversation('private', [sender.userId, peer.userId]), sender, readers: [peer], seqs: [] };
      }),
    );
  }
  const members = await Promise.all(['user1', ...seeded].map((username) => client.login(username, DEMO_PASSWORD)));
  const conversationId = await members[0]!.createConversation('group', members.map((member) => member.userId), { name: 'Rows' });
  return [{ conversationId, sender: members[0]!, readers: members.slice(1), seqs: [] }];
}

/** Sends `count` messages round-robin over the threads, message i due at i / rate s (at most 16 in flight). */
async function send(threads: Thread[], count: number, ratePerSecond: number, channels: string[]): Promise<void> {
  const started = performance.now();
  const inFlight = new Set<Promise<void>>();
  const results: Array<{ thread: Thread; seq: number }> = [];
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / ratePerSecond;
    if (due > performance.now()) await sleep(due - performance.now());
    while (inFlight.size >= 16) await Promise.race(inFlight);
    const thread = threads[i % threads.length]!;
    const request = (async () => {
      const response = await thread.sender.post('/v1/messages', {
        message_id: randomUUID(),
        conversation_id: thread.conversationId,
        from: thread.sender.userId,
        channels,
        payload: { type: 'text', text: MESSAGE_TEXT },
        priority: 'normal',
      });
      if (response.status !== 202 && response.status !== 200) throw new Error(`send: ${response.status} ${JSON.stringify(response.body)}`);
      results.push({ thread, seq: response.body.seq });
    })();
    inFlight.add(request);
    void request.finally(() => inFlight.delete(request)).catch(() => {});
  }
  await Promise.all(inFlight);
  if (results.length !== count) throw new Error(`send: ${results.length} of ${count} messages accepted`);
  for (const { thread, seq } of results) thread.seqs.push(seq);
  for (const thread of threads) thread.seqs.sort((a, b) => a - b);
}

/** Every message of the threads has one of `statuses`, as the sender sees them in the conversation's pages. */
async function waitForStatus(threads: Thread[], statuses: string[], what: string): Promise<number> {
  const started = performance.now();
  for (;;) {
    let reached = 0;
    let total = 0;
    for (const thread of threads) {
      total += thread.seqs.length;
      for (let offset = 0; offset < thread.seqs.length; offset += 100) {
        const response = await thread.sender.get(`/v1/conversations/${thread.conversationId}/messages?limit=100&offset=${offset}`);
        if (response.status !== 200) throw new Error(`list: ${response.status} ${JSON.stringify(response.body)}`);
        reached += (response.body.messages as Array<{ status: string }>).filter((message) => statuses.includes(message.status)).length;
      }
    }
    if (reached === total) return (performance.now() - started) / 1000;
    if (performance.now() - started > WAIT_TIMEOUT_MS) throw new Error(`${what}: ${reached} of ${total} messages after ${WAIT_TIMEOUT_MS / 1000} s`);
    await sleep(250);
  }
}

/** Each reader reads each message as a client with the conversation open would: a receipt up to its seq. */
async function readAll(threads: Thread[]): Promise<number> {
  let receipts = 0;
  await Promise.all(
    threads.flatMap((thread) =>
      thread.readers.map(async (reader) => {
        for (const seq of thread.seqs) {
          const response = await reader.post(`/v1/conversations/${thread.conversationId}/read`, { up_to_seq: seq });
          if (response.status !== 200) throw new Error(`read: ${response.status} ${JSON.stringify(response.body)}`);
          receipts++;
        }
      }),
    ),
  );
  return receipts;
}

async function measureShape(context: BenchContext, mode: TestMode, shape: ShapeName, settings: Settings): Promise<ShapeData> {
  // pg_stat needs 11 s per mark for the statistics to arrive: --quick counts with the triggers in both modes.
  const method: RowMethod = mode === 'embedded' || context.quick || process.env.BENCH_ROWS_METHOD === 'triggers' ? 'triggers' : 'pg_stat';
  const roles = mode === 'distributed' ? settings.distributedRoles : 'all';
  const dataDir = await freshState();
  const options = { mode, roles, dataDir, env: { BCRYPT_ROUNDS } };
  context.log(`rows: ${mode} (${roles}), ${SHAPES[shape].label}, counted by ${method}`);
  let deployment = await startDeployment(options);
  try {
    // The first start migrated the database. PGlite belongs to one process at a time: seed and install while stopped.
    const seeded = shape === 'group' ? Array.from({ length: GROUP_SIZE - 1 }, (_, i) => `rowsmember${i + 1}`) : [];
    if (mode === 'embedded') await deployment.stop();
    if (seeded.length > 0) await seedUsers(mode, dataDir, 'user1', 'rowsmember', seeded.length);
    if (method === 'triggers') await installRowTriggers(mode, dataDir);
    if (mode === 'embedded') deployment = await startDeployment(options);

    const threads = await setUp(deployment, shape, seeded);
    const counter = rowCounter(mode, dataDir, method, settings.settleSeconds * 1000);
    await counter.mark();
    await sleep(settings.idleSeconds * 1000);
    await counter.mark();
    await send(threads, settings.messages, settings.ratePerSecond, SHAPES[shape].channels);
    const deliveredAfter = await waitForStatus(threads, ['delivered', 'read'], 'delivered');
    await counter.mark();
    const receipts = await readAll(threads);
    const readAfter = await waitForStatus(threads, ['read'], 'read');
    await counter.mark();
    context.log(`rows: ${settings.messages} messages delivered ${deliveredAfter.toFixed(1)} s after the last send, ${receipts} receipts, all read ${readAfter.toFixed(1)} s after the last`);
    await deployment.stop();
    const [idle, delivered, read] = await counter.phases();
    return { mode, shape, roles, method, messages: settings.messages, receipts, phases: { idle: idle!, delivered: delivered!, read: read! }, statements: statementsByRole(deployment.logFiles) };
  } finally {
    await deployment.stop();
    await deployment.removeState();
  }
}

const per = (rows: number, messages: number) => Number((rows / messages).toFixed(2));
const sum = (writes: Writes) => writes.ins + writes.upd + writes.del;
const total = (tables: TableWrites): Writes =>
  Object.values(tables).reduce((acc, writes) => ({ ins: acc.ins + writes.ins, upd: acc.upd + writes.upd, del: acc.del + writes.del }), { ins: 0, upd: 0, del: 0 });

/** What the idle window's rate would write over `phase` (time-based writes: lease renewals). */
function idleShare(idle: Phase, phase: Phase): Writes {
  const scale = phase.seconds / Math.max(idle.seconds, 1e-9);
  const writes = total(idle.tables);
  return { ins: writes.ins * scale, upd: writes.upd * scale, del: writes.del * scale };
}

/** "ins / upd / del" per message; – for nothing. */
const cellOf = (writes: Writes | undefined, messages: number): Cell =>
  !writes || sum(writes) === 0 ? '–' : `${per(writes.ins, messages)} / ${per(writes.upd, messages)} / ${per(writes.del, messages)}`;

function tableRows(data: ShapeData): Cell[][] {
  const { phases, messages } = data;
  const who = [`${data.mode === 'distributed' && data.roles === 'one-process' ? 'distributed, one process' : data.mode} (${data.method})`, SHAPES[data.shape].label];
  const names = [...new Set([...Object.keys(phases.delivered.tables), ...Object.keys(phases.read.tables)])].sort();
  const rows: Cell[][] = names.map((name) => [
    ...who,
    name,
    cellOf(phases.delivered.tables[name], messages),
    cellOf(phases.read.tables[name], messages),
    phases.idle.tables[name] ? `${(sum(phases.idle.tables[name]) / phases.idle.seconds).toFixed(1)}/s` : '',
  ]);
  const all = (phase: Phase) => total(phase.tables);
  const lessIdle = (phase: Phase): Writes => {
    const idle = idleShare(phases.idle, phase);
    const writes = all(phase);
    return { ins: writes.ins - idle.ins, upd: writes.upd - idle.upd, del: writes.del - idle.del };
  };
  const totalCell = (phase: Phase) => `**${per(sum(all(phase)), messages)}** (${cellOf(all(phase), messages)}); less idle rate: ${per(sum(lessIdle(phase)), messages)}`;
  rows.push([...who, 'all tables: rows per message', totalCell(phases.delivered), totalCell(phases.read), `${(sum(all(phases.idle)) / phases.idle.seconds).toFixed(1)}/s`]);
  rows.push([...who, 'SQL statements per message by role (whole life)', statementsPerMessage(data.statements, messages), '', '']);
  return rows;
}

export const rowsSection: Section = {
  name: 'rows',
  title: 'Rows written per message: a 1:1 text message on one channel and a 10-member group on two channels, accept → delivered → read',
  async run(context: BenchContext): Promise<SectionResult> {
    const settings = SETTINGS[context.quick ? 'quick' : 'full'];
    const data: ShapeData[] = [];
    for (const mode of context.modes) for (const shape of ['private', 'group'] as const) data.push(await measureShape(context, mode, shape, settings));
    return {
      columns: ['mode', 'shape', 'table', 'accept → delivered: ins / upd / del per message', 'delivered → read: ins / upd / del per message', 'idle rows/s'],
      rows: data.flatMap(tableRows),
      notes: [
        `Per mode and shape, a fresh deployment (every role; distributed: ${settings.distributedRoles === 'all' ? 'one process per role' : 'every role in one process'}), users signing in at BCRYPT_ROUNDS=${BCRYPT_ROUNDS}. ` +
          `${settings.messages} messages sent at ${settings.ratePerSecond}/s (1:1: user1…user5, each to the next in a private conversation, channels ["whatsapp"]; group: user1 into a group of ${GROUP_SIZE}, channels ["all"] = whatsapp + instagram), ` +
          'waited for until every one is delivered (the senders\' conversation pages); then every recipient reads every message with its own receipt (POST /v1/conversations/{id}/read, up_to_seq = its seq, in order), waited for until every one is read.',
        'Rows: inserted / updated / deleted per message, per table, in each phase; the mode cell says how they were counted. pg_stat (PostgreSQL, full run): deltas of pg_stat_user_tables read from the deployment\'s database while it runs, each read 11 s after the phase ended ' +
          '(backends report their counts at most once a second, idle ones after 10 s). triggers (PGlite, which keeps no statistics: its one backend never reports them, nor are they on disk after it closes; and --quick, which has no time for those waits): ' +
          `a statement-level trigger on every table, installed while the hub is stopped, logs each statement's rows from its transition table; read after the hub stopped and split by time, ${settings.settleSeconds} s after each phase ended. ` +
          'The two agree on every table whose rows do not depend on batching or time (messages, deliveries, conversation_events, members) in a distributed run counted both ways.',
        'Every row the hub writes counts, the outbox and (embedded) the bus\'s records, heads and leases included. A phase includes what follows its visible end (the notifier\'s events and feeds, the relay\'s deletes); ' +
          'rows that hold a run of records (outbox, bus_records, user_feed_pages) are per batch, so fewer per message under load than at this modest rate; bus records are trimmed every few acknowledgements, so their deletes fall where the trim does.',
        `idle rows/s: what the deployment wrote in a quiet window with no traffic before the messages (lease renewals; ${settings.idleSeconds + settings.settleSeconds} s with triggers, ${settings.idleSeconds + 11} s with pg_stat); "less idle rate" subtracts that rate over each phase's duration from the total.`,
        'SQL statements per message by role: the counts each hub process logs when it stops ("SQL statements by role"), over the deployment\'s whole life (start-up, sign-in, idle polls, both phases), divided by the messages; n/a: the hub logs no counts. The accept section has them under load.',
      ],
      data,
    };
  },
};
