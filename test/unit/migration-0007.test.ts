/**
 * Migration 0007 (the lean pipeline) keeps existing data readable: a database as the release before it left it
 * (migrations 0001–0006, rows written the way the code at 6dc0502 wrote them) reads the same through the new
 * read paths once the hub starts on it (openSqlStore runs the remaining migrations), on PGlite and on PostgreSQL,
 * and the new code goes on from it. What the old code showed is read with its own queries before migrating.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { partitionFor } from '../../src/adapters/partitioning.ts';
import { SqlBus } from '../../src/adapters/sql-bus/sql-bus.ts';
import { migrate } from '../../src/adapters/sql/migrate.ts';
import { openPgliteDatabase } from '../../src/adapters/sql/pglite/pglite-database.ts';
import { openPostgresDatabase } from '../../src/adapters/sql/postgres/postgres-database.ts';
import type { Db, SqlDatabase } from '../../src/adapters/sql/sql-database.ts';
import { openSqlStore } from '../../src/adapters/sql/sql-store.ts';
import { TopicWakeups, Wakeup } from '../../src/adapters/wakeup.ts';
import { REPLAY_REASON } from '../../src/domain/dead-letters.ts';
import { conversationRead, messageCreated, type HubEvent, type MessageCreatedData } from '../../src/domain/hub-events.ts';
import type { Delivery, MessageDetail, Payload } from '../../src/domain/message.ts';
import type { DeliveryStatus, MessageStatus } from '../../src/domain/message-status.ts';
import type { Logger } from '../../src/ports/logger.ts';
import { JsonText, type BusRecord, type ConsumedRecord, type Subscription } from '../../src/ports/message-bus.ts';
import type { Store } from '../../src/ports/store.ts';
import type { UserEvent } from '../../src/ports/user-event-store.ts';
import { seedCluster } from '../support/pglite-template.ts';

const BEFORE_0007 = '0006-demo-users';
const PARTITIONS = 6;

// ---------------------------------------------------------------------------------------------------------------
// The data, as the old code wrote it. Times are given to the microsecond, as PostgreSQL keeps them; where the old
// code took two clocks for one step they differ as they did there (the accept statement's created_at is its
// transaction's now(), its history row's at a clock_timestamp() taken later in the statement: milliseconds later
// on PGlite; a planned delivery's created_at and its pending row's recorded_at likewise).
// ---------------------------------------------------------------------------------------------------------------

const T0 = Date.parse('2026-11-20T09:00:00.000Z');
/** T0 + `ms` (fractional: microseconds) as ISO text with microseconds. */
function t(ms: number): string {
  const micros = Math.round(ms * 1000);
  const whole = new Date(T0 + Math.floor(micros / 1000)).toISOString().slice(0, -1);
  return `${whole}${String(micros % 1000).padStart(3, '0')}Z`;
}

const ALICE = 'a11ce000-0000-4000-8000-000000000001';
const BOB = 'b0b00000-0000-4000-8000-000000000002';
const CAROL = 'ca201000-0000-4000-8000-000000000003';
/** Alice and Bob. */
const PRIVATE = 'c0000001-0000-4000-8000-000000000001';
/** Alice, Bob and Carol. */
const GROUP = 'c0000002-0000-4000-8000-000000000002';
const MEMBERS: Record<string, string[]> = { [PRIVATE]: [ALICE, BOB], [GROUP]: [ALICE, BOB, CAROL] };
const mid = (n: number) => `e0000000-0000-4000-8000-00000000000${n}`;

type Step = [status: MessageStatus, reason: string | null, at: string];
type DeliveryEventRow = [status: DeliveryStatus, reason: string | null, channelAt: string | null, recordedAt: string];

interface OldDelivery {
  recipient: string;
  channel: string;
  createdAt: string;
  providerMessageId: string | null;
  events: DeliveryEventRow[];
}

interface OldMessage {
  id: string;
  conversation: string;
  seq: number;
  from: string;
  to: string | null;
  payload: Payload;
  createdAt: string;
  history: Step[];
  deliveries: OldDelivery[];
}

const REFUSED = 'connection refused (after 3 attempts)';
const MISSING_FILE = 'file f1e00000-0000-4000-8000-000000000001 is not in storage';
const UNAVAILABLE = 'HTTP 503 from the channel (after 3 attempts)';

const text = (body: string): Payload => ({ type: 'text', text: body });

const MESSAGES: OldMessage[] = [
  {
    // in_transit: routed, its delivery handed over (sent)
    id: mid(2), conversation: PRIVATE, seq: 1, from: ALICE, to: BOB, payload: text('hi Bob'), createdAt: t(10_000.2),
    history: [['accepted', null, t(10_002.9)], ['in_transit', null, t(10_120.25)]],
    deliveries: [
      { recipient: BOB, channel: 'whatsapp', createdAt: t(10_118.9), providerMessageId: 'whatsapp-m2',
        events: [['pending', null, null, t(10_119.3)], ['sent', null, t(10_249), t(10_250.125)]] },
    ],
  },
  {
    // delivered (sent by Bob)
    id: mid(3), conversation: PRIVATE, seq: 2, from: BOB, to: ALICE, payload: text('hi Alice'), createdAt: t(20_000.1),
    history: [['accepted', null, t(20_001.7)], ['in_transit', null, t(20_141.5)], ['delivered', null, t(20_900.8)]],
    deliveries: [
      { recipient: ALICE, channel: 'whatsapp', createdAt: t(20_140.01), providerMessageId: 'whatsapp-m3',
        events: [['pending', null, null, t(20_140.99)], ['sent', null, t(20_300), t(20_301.25)], ['delivered', null, t(20_880), t(20_900.5)]] },
    ],
  },
  {
    // read: Bob's read receipt came from the channel, Carol read in the hub (no channel time)
    id: mid(4), conversation: GROUP, seq: 1, from: ALICE, to: null, payload: text('hello group'), createdAt: t(30_000.3),
    history: [['accepted', null, t(30_004.1)], ['in_transit', null, t(30_151.3)], ['delivered', null, t(31_510.9)], ['read', null, t(36_200.7)]],
    deliveries: [
      { recipient: BOB, channel: 'whatsapp', createdAt: t(30_150.1), providerMessageId: 'whatsapp-m4-bob',
        events: [['pending', null, null, t(30_150.7)], ['sent', null, t(30_400), t(30_401.1)], ['delivered', null, t(30_950), t(30_960.2)],
                 ['read', null, t(34_990), t(35_000.75)]] },
      { recipient: CAROL, channel: 'whatsapp', createdAt: t(30_150.2), providerMessageId: 'whatsapp-m4-carol',
        events: [['pending', null, null, t(30_150.8)], ['sent', null, t(30_410), t(30_411.4)], ['delivered', null, t(31_500), t(31_510.6)],
                 ['read', null, null, t(36_200.3)]] },
    ],
  },
  {
    // failed with a reason: one delivery failed after every retry
    id: mid(5), conversation: GROUP, seq: 2, from: ALICE, to: null, payload: text('are you there?'), createdAt: t(40_000.5),
    history: [['accepted', null, t(40_002.2)], ['in_transit', null, t(40_131)], ['failed', REFUSED, t(42_101.8)]],
    deliveries: [
      { recipient: BOB, channel: 'whatsapp', createdAt: t(40_130), providerMessageId: 'whatsapp-m5-bob',
        // the channel answered "delivered" at once: sent and delivered in one transaction (one millisecond on PGlite's clock)
        events: [['pending', null, null, t(40_130.4)], ['sent', null, t(40_300), t(40_301)], ['delivered', null, t(40_300), t(40_301)]] },
      { recipient: CAROL, channel: 'whatsapp', createdAt: t(40_130.05), providerMessageId: null,
        events: [['pending', null, null, t(40_130.45)], ['failed', REFUSED, t(42_100), t(42_101.4)]] },
    ],
  },
  {
    // failed when routed: a file message whose object is missing (its delivery planned failed, no pending row; the
    // message in_transit and failed in one transaction, in one millisecond on PGlite's clock)
    id: mid(6), conversation: PRIVATE, seq: 3, from: ALICE, to: BOB,
    payload: { type: 'file', file_id: 'f1e00000-0000-4000-8000-000000000001', filename: 'a.pdf', file_size: 1234, content_type: 'application/pdf' },
    createdAt: t(45_000.25),
    history: [['accepted', null, t(45_001.9)], ['in_transit', null, t(45_091)], ['failed', MISSING_FILE, t(45_091)]],
    deliveries: [
      { recipient: BOB, channel: 'whatsapp', createdAt: t(45_089.7), providerMessageId: null,
        events: [['failed', MISSING_FILE, null, t(45_090.6)]] },
    ],
  },
  {
    // failed, replayed from the dead-letter topic, then delivered
    id: mid(7), conversation: GROUP, seq: 3, from: ALICE, to: null, payload: text('second try'), createdAt: t(60_000.6),
    history: [['accepted', null, t(60_003.3)], ['in_transit', null, t(60_121.4)], ['failed', UNAVAILABLE, t(62_002.3)],
              ['in_transit', REPLAY_REASON, t(300_000.7)], ['delivered', null, t(300_602.1)]],
    deliveries: [
      { recipient: BOB, channel: 'whatsapp', createdAt: t(60_120), providerMessageId: 'whatsapp-m7-bob',
        events: [['pending', null, null, t(60_120.5)], ['failed', UNAVAILABLE, t(62_000), t(62_001.9)], ['pending', REPLAY_REASON, null, t(300_000.45)],
                 ['sent', null, t(300_200), t(300_201.1)], ['delivered', null, t(300_600), t(300_601.8)]] },
      { recipient: CAROL, channel: 'whatsapp', createdAt: t(60_120.1), providerMessageId: 'whatsapp-m7-carol',
        events: [['pending', null, null, t(60_120.6)], ['sent', null, t(60_300), t(60_301.2)], ['delivered', null, t(60_500), t(60_502.7)]] },
    ],
  },
  {
    // failed, replayed, and stranded there (the old replay's dispatch never reached the bus)
    id: mid(8), conversation: PRIVATE, seq: 4, from: ALICE, to: BOB, payload: text('stranded'), createdAt: t(70_000.05),
    history: [['accepted', null, t(70_002)], ['in_transit', null, t(70_101)], ['failed', REFUSED, t(72_001.5)], ['in_transit', REPLAY_REASON, t(300_010.5)]],
    deliveries: [
      { recipient: BOB, channel: 'whatsapp', createdAt: t(70_100), providerMessageId: null,
        events: [['pending', null, null, t(70_100.4)], ['failed', REFUSED, t(72_000), t(72_001)], ['pending', REPLAY_REASON, null, t(300_010.3)]] },
    ],
  },
  {
    // accepted, not routed yet (its record still in the outbox)
    id: mid(1), conversation: PRIVATE, seq: 5, from: ALICE, to: BOB, payload: text('newest'), createdAt: t(80_000.4),
    history: [['accepted', null, t(80_003.05)]],
    deliveries: [],
  },
];

const byId = new Map(MESSAGES.map((message) => [message.id, message]));
const messageOf = (n: number) => byId.get(mid(n))!;

const acceptedEvent = (m: OldMessage) => ({
  message_id: m.id, conversation_id: m.conversation, seq: m.seq, from: m.from, to: m.to, channels: ['whatsapp'],
  payload: m.payload, priority: 'normal', created_at: new Date(m.createdAt).toISOString(),
});
const statusEvent = (m: OldMessage, status: MessageStatus, previous: MessageStatus, at: string) => ({
  type: 'message.status', key: `message.status:${m.id}:${status}`, conversation_id: m.conversation, audience: [m.from],
  occurred_at: new Date(at).toISOString(),
  data: { message_id: m.id, conversation_id: m.conversation, seq: m.seq, status, previous_status: previous, reason: null, at: new Date(at).toISOString() },
});
const createdEvent = (m: OldMessage) => ({
  type: 'message.created', key: `message.created:${m.id}`, conversation_id: m.conversation, audience: 'members',
  occurred_at: new Date(m.createdAt).toISOString(), data: acceptedEvent(m),
});
const readEvent = (conversation: string, user: string, upTo: number, at: string) => ({
  type: 'conversation.read', key: `conversation.read:${conversation}:${user}:${upTo}`, conversation_id: conversation, audience: 'members',
  occurred_at: new Date(at).toISOString(), data: { conversation_id: conversation, user_id: user, up_to_seq: upTo, at: new Date(at).toISOString() },
});
const dispatchOf = (m: OldMessage, recipients: string[]) => ({
  message_id: m.id, conversation_id: m.conversation, seq: m.seq, from: m.from, channel: 'whatsapp', recipients, payload: m.payload, priority: 'normal',
});

type OldEvent = ReturnType<typeof createdEvent> | ReturnType<typeof statusEvent> | ReturnType<typeof readEvent>;

/**
 * Feed appends in id order, each with its audience and when its transaction started (user_events.created_at).
 * Pruned before the upgrade: every row created before 50 s. The last append's transaction started early and got
 * its ids last (it waited for the feed heads), so Alice's and Bob's newest events are gone and their heads are
 * above their last remaining event; Carol's head is her last event.
 */
const FEED: Array<{ event: OldEvent; audience: string[]; createdAt: string }> = (() => {
  const [m2, m3, m4] = [messageOf(2), messageOf(3), messageOf(4)];
  const appends: Array<[OldEvent, number]> = [
    [createdEvent(m2), 10_125], [statusEvent(m2, 'in_transit', 'accepted', m2.history[1]![2]), 10_125],
    [createdEvent(m3), 20_145], [statusEvent(m3, 'in_transit', 'accepted', m3.history[1]![2]), 20_145],
    [statusEvent(m3, 'delivered', 'in_transit', m3.history[2]![2]), 20_905],
    [createdEvent(m4), 30_155], [statusEvent(m4, 'in_transit', 'accepted', m4.history[1]![2]), 30_155],
    [statusEvent(m4, 'delivered', 'in_transit', m4.history[2]![2]), 31_515],
    [readEvent(GROUP, CAROL, 1, t(36_200.1)), 52_000], [statusEvent(m4, 'read', 'delivered', m4.history[3]![2]), 52_000],
    [createdEvent(messageOf(5)), 55_000],
    [readEvent(PRIVATE, ALICE, 1, t(33_000)), 33_000.5],
  ];
  return appends.map(([event, at]) => ({
    event,
    audience: typeof event.audience === 'string' ? MEMBERS[event.conversation_id]! : event.audience,
    createdAt: t(at),
  }));
})();
const PRUNED_BEFORE = t(50_000);

/** Outbox rows not relayed yet, in id order. */
const OUTBOX: BusRecord[] = [
  { topic: 'hub_events', key: GROUP, value: statusEvent(messageOf(7), 'delivered', 'in_transit', messageOf(7).history[4]![2]) },
  { topic: 'message_processing', key: PRIVATE, value: acceptedEvent(messageOf(1)) },
  { topic: 'hub_events', key: PRIVATE, value: readEvent(PRIVATE, BOB, 4, t(80_100)) },
  { topic: 'hub_events', key: PRIVATE, value: createdEvent(messageOf(1)) },
];

/**
 * The embedded bus's log: per topic and conversation (each conversation its own partition), the records from
 * offset 0, how many the trim deleted, and where each group committed.
 */
const BUS: Array<{ topic: string; group: string; key: string; values: unknown[]; trimmed: number; committed: number }> = [
  { topic: 'message_processing', group: 'message-router', key: PRIVATE, trimmed: 2, committed: 3,
    values: [2, 3, 6, 8].map((n) => acceptedEvent(messageOf(n))) },
  { topic: 'message_processing', group: 'message-router', key: GROUP, trimmed: 0, committed: 1,
    values: [4, 5, 7].map((n) => acceptedEvent(messageOf(n))) },
  { topic: 'hub_events', group: 'notifier', key: PRIVATE, trimmed: 2, committed: 4,
    values: [createdEvent(messageOf(2)), createdEvent(messageOf(3)), createdEvent(messageOf(6)), createdEvent(messageOf(8)),
             readEvent(PRIVATE, ALICE, 1, t(33_000))] },
  { topic: 'hub_events', group: 'notifier', key: GROUP, trimmed: 1, committed: 4,
    values: [createdEvent(messageOf(4)), createdEvent(messageOf(5)), createdEvent(messageOf(7)), readEvent(GROUP, CAROL, 1, t(36_200.1))] },
  { topic: 'whatsapp_outgoing', group: 'whatsapp-connector', key: PRIVATE, trimmed: 2, committed: 2,
    values: [2, 3, 6, 8].map((n) => dispatchOf(messageOf(n), [BOB])) },
  { topic: 'whatsapp_outgoing', group: 'whatsapp-connector', key: GROUP, trimmed: 3, committed: 3,
    values: [4, 5, 7].map((n) => dispatchOf(messageOf(n), [BOB, CAROL])) },
  { topic: 'whatsapp_dead_letter', group: 'whatsapp-dead-letter-replay', key: GROUP, trimmed: 0, committed: 1,
    values: [
      { dispatch: dispatchOf(messageOf(7), [BOB, CAROL]), recipient_id: BOB, reason: UNAVAILABLE, attempts: 3, failed_at: new Date(t(62_000)).toISOString() },
      { dispatch: dispatchOf(messageOf(5), [BOB, CAROL]), recipient_id: CAROL, reason: REFUSED, attempts: 3, failed_at: new Date(t(42_100)).toISOString() },
    ] },
];

// ---------------------------------------------------------------------------------------------------------------
// Writing it in the old format
// ---------------------------------------------------------------------------------------------------------------

/** One INSERT per row: objects go in as jsonb, arrays as text[]. */
async function insert(db: Db, table: string, rows: ReadonlyArray<Record<string, unknown>>): Promise<void> {
  for (const row of rows) {
    const columns = Object.keys(row);
    const values = columns.map((column) => {
      const value = row[column];
      if (Array.isArray(value)) return sql`${value}::text[]`;
      if (value !== null && typeof value === 'object') return sql`${JSON.stringify(value)}::jsonb`;
      return sql`${value}`;
    });
    await sql`INSERT INTO ${sql.table(table)} (${sql.join(columns.map((column) => sql.ref(column)))}) VALUES (${sql.join(values)})`.execute(db);
  }
}

const byTime = <T>(time: (row: T) => string) => (a: T, b: T) => (time(a) < time(b) ? -1 : time(a) > time(b) ? 1 : 0);

async function writeOldData(db: Db): Promise<void> {
  await insert(db, 'users', [ALICE, BOB, CAROL].map((id, i) => ({ id, username: ['alice', 'bob', 'carol'][i], password_hash: '$2b$10$x', created_at: t(0) })));
  const lastSeq = (conversation: string) => Math.max(...MESSAGES.filter((m) => m.conversation === conversation).map((m) => m.seq));
  const lastAt = (conversation: string) => MESSAGES.filter((m) => m.conversation === conversation).map((m) => m.createdAt).sort().at(-1)!;
  await insert(db, 'conversations', [
    { id: PRIVATE, type: 'private', created_by: ALICE, last_seq: lastSeq(PRIVATE), last_message_at: lastAt(PRIVATE), created_at: t(1) },
    { id: GROUP, type: 'group', metadata: { name: 'friends' }, created_by: ALICE, last_seq: lastSeq(GROUP), last_message_at: lastAt(GROUP), created_at: t(2) },
  ]);
  const readUpTo: Record<string, number> = { [`${PRIVATE}/${ALICE}`]: 1, [`${GROUP}/${BOB}`]: 1, [`${GROUP}/${CAROL}`]: 1 };
  await insert(db, 'conversation_members', Object.entries(MEMBERS).flatMap(([conversation, members]) =>
    members.map((user, position) => ({ conversation_id: conversation, user_id: user, position, joined_at: t(3), last_read_seq: readUpTo[`${conversation}/${user}`] ?? 0 }))));

  await insert(db, 'messages', MESSAGES.map((m) => {
    const last = m.history.at(-1)!;
    return {
      id: m.id, conversation_id: m.conversation, seq: m.seq, from_user_id: m.from, to_user_id: m.to, channels: ['whatsapp'],
      payload: m.payload, priority: 'normal', status: last[0], request_hash: `hash-${m.id}`,
      // the accept statement's now(); each move's clock_timestamp()
      created_at: m.createdAt, updated_at: m.history.length > 1 ? last[2] : m.createdAt,
    };
  }));
  // Ids in the order the rows were written.
  const history = MESSAGES.flatMap((m) => m.history.map(([status, reason, at]) => ({ message_id: m.id, status, reason, at })));
  await insert(db, 'message_status_history', history.sort(byTime((row) => row.at)));
  await insert(db, 'deliveries', MESSAGES.flatMap((m) => m.deliveries.map((d) => {
    const [status, reason, , recordedAt] = d.events.at(-1)!;
    return {
      message_id: m.id, channel: d.channel, recipient_id: d.recipient, status, reason: status === 'failed' ? reason : null,
      provider_message_id: d.providerMessageId, created_at: d.createdAt, updated_at: recordedAt,
    };
  })));
  const events = MESSAGES.flatMap((m) => m.deliveries.flatMap((d) => d.events.map(([status, reason, channelAt, recordedAt]) => ({
    message_id: m.id, channel: d.channel, recipient_id: d.recipient, status, reason, channel_at: channelAt, recorded_at: recordedAt,
  }))));
  await insert(db, 'delivery_events', events.sort(byTime((row) => row.recorded_at)));

  // Feeds: each user's ids in append order, then the prune.
  const heads = new Map<string, number>();
  const feedRows = FEED.flatMap(({ event, audience, createdAt }) => audience.map((user) => {
    const eventId = (heads.get(user) ?? 0) + 1;
    heads.set(user, eventId);
    return { user_id: user, event_id: eventId, event_key: event.key, type: event.type, data: event.data, occurred_at: event.occurred_at, created_at: createdAt };
  }));
  await insert(db, 'user_event_heads', [...heads].map(([user, last]) => ({ user_id: user, last_event_id: last })));
  await insert(db, 'user_events', feedRows.filter((row) => row.created_at >= PRUNED_BEFORE));

  await insert(db, 'outbox', OUTBOX.map((record, i) => ({
    partition: partitionFor(record.key, PARTITIONS), topic: record.topic, key: record.key, value: record.value as object, created_at: t(80_200 + i),
  })));
  const partitions = new Map<string, number>();
  for (const log of BUS) {
    const partition = partitionFor(log.key, PARTITIONS);
    assert.equal(partitions.get(`${log.topic}/${partition}`), undefined, 'one conversation per partition');
    partitions.set(`${log.topic}/${partition}`, partition);
    await insert(db, 'bus_heads', [{ topic: log.topic, partition, next_offset: log.values.length }]);
    await insert(db, 'bus_records', log.values.slice(log.trimmed).map((value, i) => ({
      topic: log.topic, partition, offset: log.trimmed + i, key: log.key, value: value as object, created_at: t(10_000 + i),
    })));
  }
  // Every group joined every partition of its topic (committed 0 where it read nothing); the old process is gone.
  const groups = [...new Map(BUS.map((log) => [`${log.group}/${log.topic}`, log])).values()].map(({ group, topic }) => ({ group, topic }));
  await insert(db, 'partition_leases', [...groups, { group: 'relay', topic: 'outbox' }].flatMap(({ group, topic }) =>
    Array.from({ length: PARTITIONS }, (_, partition) => ({
      consumer_group: group, topic, partition, holder: 'old-hub', expires_at: t(80_300),
      committed_offset: BUS.find((log) => log.group === group && partitionFor(log.key, PARTITIONS) === partition)?.committed ?? 0,
    }))));
}

// ---------------------------------------------------------------------------------------------------------------
// What the old code showed: its own read queries (6dc0502), run before the upgrade
// ---------------------------------------------------------------------------------------------------------------

/** SqlMessageStore.find at 6dc0502. */
async function oldFind(db: Db, messageId: string): Promise<MessageDetail> {
  const { rows } = await sql<Record<string, any>>`
    SELECT m.*,
      coalesce((SELECT jsonb_agg(jsonb_build_object('status', h.status, 'reason', h.reason, 'at', h.at) ORDER BY h.id)
                FROM message_status_history h WHERE h.message_id = m.id), '[]') AS history,
      coalesce((SELECT jsonb_agg(to_jsonb(d) || jsonb_build_object('history', coalesce((
                  SELECT jsonb_agg(jsonb_build_object('status', e.status, 'reason', e.reason, 'channel_at', e.channel_at,
                                                      'recorded_at', e.recorded_at) ORDER BY e.id)
                  FROM delivery_events e
                  WHERE e.message_id = d.message_id AND e.channel = d.channel AND e.recipient_id = d.recipient_id), '[]'))
                ORDER BY d.channel, d.recipient_id)
                FROM deliveries d WHERE d.message_id = m.id), '[]') AS deliveries
    FROM messages m WHERE m.id = ${messageId}`.execute(db);
  const row = rows[0]!;
  return {
    messageId: row.id, conversationId: row.conversation_id, seq: Number(row.seq), from: row.from_user_id, to: row.to_user_id,
    channels: row.channels, payload: row.payload, priority: row.priority, status: row.status,
    createdAt: new Date(row.created_at), updatedAt: new Date(row.updated_at),
    history: row.history.map((entry: any) => ({ status: entry.status, reason: entry.reason, at: new Date(entry.at) })),
    deliveries: row.deliveries.map((d: any): Delivery => ({
      channel: d.channel, recipientId: d.recipient_id, status: d.status, reason: d.reason, providerMessageId: d.provider_message_id,
      updatedAt: new Date(d.updated_at),
      history: d.history.map((step: any) => ({
        status: step.status, reason: step.reason, channelAt: step.channel_at === null ? null : new Date(step.channel_at), recordedAt: new Date(step.recorded_at),
      })),
    })),
  };
}

/** SqlUserEventStore.read and head at 6dc0502. */
async function oldFeed(db: Db, userId: string, afterEventId: number, limit: number): Promise<UserEvent[]> {
  const { rows } = await sql<Record<string, any>>`
    SELECT event_id, type, occurred_at, data FROM user_events
    WHERE user_id = ${userId} AND event_id > ${afterEventId} ORDER BY event_id LIMIT ${limit}`.execute(db);
  return rows.map((row) => ({ eventId: Number(row.event_id), type: row.type, occurredAt: new Date(row.occurred_at), data: row.data }));
}

async function oldHead(db: Db, userId: string): Promise<number> {
  const { rows } = await sql<{ last_event_id: string | number }>`SELECT last_event_id FROM user_event_heads WHERE user_id = ${userId}`.execute(db);
  return Number(rows[0]?.last_event_id ?? 0);
}

/** The relay's read at 6dc0502, over every partition. */
async function oldOutbox(db: Db): Promise<BusRecord[]> {
  const { rows } = await sql<{ topic: string; key: string; value: string }>`
    SELECT id, partition, topic, key, value::text AS value FROM outbox
    WHERE partition = ANY(${Array.from({ length: PARTITIONS }, (_, p) => p)}::int[]) ORDER BY id LIMIT 500`.execute(db);
  return rows.map((row) => ({ topic: row.topic, key: row.key, value: JSON.parse(row.value) }));
}

/** The SQL bus's read at 6dc0502, from the group's committed offsets. */
async function oldBus(db: Db, group: string, topic: string): Promise<ConsumedRecord[]> {
  const { rows: held } = await sql<{ partition: number; committed_offset: string | number }>`
    SELECT partition, committed_offset FROM partition_leases WHERE consumer_group = ${group} AND topic = ${topic} ORDER BY partition`.execute(db);
  const { rows } = await sql<{ partition: number; offset: number | string; key: string; value: unknown }>`
    SELECT r.partition, r."offset", r.key, r.value
    FROM unnest(${held.map((h) => h.partition)}::int[], ${held.map((h) => Number(h.committed_offset))}::bigint[]) AS h (partition, committed)
    CROSS JOIN LATERAL (
      SELECT * FROM bus_records
      WHERE topic = ${topic} AND partition = h.partition AND "offset" >= h.committed
      ORDER BY "offset" LIMIT 200) AS r
    ORDER BY r.partition, r."offset"
    LIMIT 200`.execute(db);
  return rows.map((row) => ({ topic, partition: row.partition, key: row.key, value: row.value, offset: String(row.offset) }));
}

interface OldView {
  messages: Map<string, MessageDetail>;
  feeds: Map<string, { all: UserEvent[]; afterFirst: UserEvent[]; firstTwo: UserEvent[]; head: number }>;
  outbox: BusRecord[];
  bus: Map<string, ConsumedRecord[]>;
}

const USERS = [ALICE, BOB, CAROL];
const busGroups = () => [...new Map(BUS.map((log) => [`${log.group}/${log.topic}`, { group: log.group, topic: log.topic }])).values()];

async function readOldView(db: Db): Promise<OldView> {
  const view: OldView = { messages: new Map(), feeds: new Map(), outbox: await oldOutbox(db), bus: new Map() };
  for (const m of MESSAGES) view.messages.set(m.id, await oldFind(db, m.id));
  for (const user of USERS) {
    const all = await oldFeed(db, user, 0, 100);
    view.feeds.set(user, { all, afterFirst: await oldFeed(db, user, all[0]!.eventId, 100), firstTwo: await oldFeed(db, user, 0, 2), head: await oldHead(db, user) });
  }
  for (const { group, topic } of busGroups()) view.bus.set(`${group}/${topic}`, await oldBus(db, group, topic));
  return view;
}

// ---------------------------------------------------------------------------------------------------------------
// The engines
// ---------------------------------------------------------------------------------------------------------------

const PG_URL = process.env.CHAT4ALL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const postgresMissing = await withAdmin(async () => undefined).then(
  () => undefined,
  (error: Error) => `PostgreSQL is not reachable at ${PG_URL} (${error.message}); set CHAT4ALL_TEST_PG_URL`,
);

interface Engine {
  name: string;
  skip?: string;
  /** An empty database; `done` removes it. */
  open(): Promise<{ database: SqlDatabase; done: () => Promise<void> }>;
  embedded: boolean;
}

const errors: unknown[] = [];
const log: Logger = {
  debug() {},
  info() {},
  warn() {},
  error: (fields) => void errors.push(fields),
  child: () => log,
};

const ENGINES: Engine[] = [
  {
    name: 'PGlite',
    embedded: true,
    async open() {
      const dataDir = await mkdtemp(path.join(tmpdir(), 'chat4all-migtest-'));
      await seedCluster(dataDir);
      return { database: await openPgliteDatabase(dataDir), done: () => rm(dataDir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'PostgreSQL',
    embedded: false,
    ...(postgresMissing ? { skip: postgresMissing } : {}),
    async open() {
      const name = `chat4all_migtest_${process.pid}_${Date.now()}`;
      await withAdmin((client) => client.query(`CREATE DATABASE "${name}"`));
      const url = new URL(PG_URL);
      url.pathname = `/${name}`;
      return {
        database: openPostgresDatabase({ url: url.toString(), poolSize: 4, log }),
        done: () => withAdmin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
      };
    },
  },
];

const LOOP = { holder: 'migration-test', pollIntervalMs: 10, leaseTtlMs: 10_000, lingerMs: 0 };

/**
 * Runs a consumer until it got `expected` records, and a little longer (nothing more may come), then stops it.
 */
async function consume<R>(start: (handler: (records: R[]) => Promise<void>) => Subscription, expected: number): Promise<R[]> {
  const got: R[] = [];
  let enough: () => void = () => {};
  const reached = new Promise<void>((resolve) => (enough = resolve));
  const subscription = start(async (records) => {
    got.push(...records);
    if (got.length >= expected) enough();
  });
  if (expected === 0) enough();
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, 10_000).unref());
  await Promise.race([reached, timeout]);
  await new Promise((resolve) => setTimeout(resolve, 150));
  await subscription.stop();
  return got;
}

const parsed = (records: readonly BusRecord[]) => records.map(({ topic, key, value }) => ({ topic, key, value: value instanceof JsonText ? JSON.parse(value.json) : value }));

// ---------------------------------------------------------------------------------------------------------------
// The test
// ---------------------------------------------------------------------------------------------------------------

for (const engine of ENGINES) {
  describe(`migration 0007 on ${engine.name}: data written before it reads the same after it`, { skip: engine.skip ?? false }, () => {
    let database: SqlDatabase;
    let done: () => Promise<void>;
    let store: Store;
    let old: OldView;
    const wakeups = new TopicWakeups();

    before(async () => {
      ({ database, done } = await engine.open());
      await migrate(database.db, BEFORE_0007);
      await writeOldData(database.db);
      old = await readOldView(database.db);
      // The new release starting on it: openSqlStore runs the remaining migrations.
      store = await openSqlStore(database, {
        outboxPartitions: PARTITIONS,
        loop: LOOP,
        outboxWakeup: new Wakeup(),
        ...(engine.embedded ? { busOnDatabase: { partitions: PARTITIONS, wake: (topic: string) => wakeups.of(topic).notify() } } : {}),
        log,
      });
    });

    after(async () => {
      await store?.close();
      await done?.();
    });

    it('the old data is what the old code wrote (the fixture holds what this test claims)', () => {
      assert.deepEqual(old.messages.get(mid(7))!.history.map((step) => step.status), ['accepted', 'in_transit', 'failed', 'in_transit', 'delivered']);
      assert.deepEqual(old.messages.get(mid(6))!.deliveries[0]!.history.map((step) => step.status), ['failed']);
      assert.ok(old.feeds.get(ALICE)!.head > old.feeds.get(ALICE)!.all.at(-1)!.eventId, "Alice's newest events were pruned");
      assert.ok(old.feeds.get(BOB)!.head > old.feeds.get(BOB)!.all.at(-1)!.eventId, "Bob's newest events were pruned");
      assert.equal(old.outbox.length, OUTBOX.length);
      assert.ok([...old.bus.values()].every((records) => records.length > 0));
    });

    it("every message reads as before: status, status_history and each delivery's history", async () => {
      for (const m of MESSAGES) {
        const detail = await store.messages.find(m.id);
        let expected = old.messages.get(m.id)!;
        if (m.id === mid(6)) {
          // Planned failed (the file is missing): the old code wrote no pending row; the new model starts every
          // delivery's history with pending, at the time it was planned (the first row the old code wrote).
          const [delivery] = expected.deliveries;
          const planned = { status: 'pending' as const, reason: null, channelAt: null, recordedAt: delivery!.history[0]!.recordedAt };
          expected = { ...expected, deliveries: [{ ...delivery!, history: [planned, ...delivery!.history] }] };
        }
        assert.deepEqual(detail, expected, `message ${m.id} (${m.history.map((step) => step[0]).join(' → ')})`);
      }
    });

    it('each feed reads as before from after 0 (and from other cursors), and head() is the old head', async () => {
      for (const user of USERS) {
        const feed = old.feeds.get(user)!;
        const cursors = [{ userId: user, afterEventId: 0 }, { userId: user, afterEventId: feed.all[0]!.eventId }];
        const read = await store.userEvents.read(cursors, 100);
        assert.deepEqual(read.get(cursors[0]!), feed.all, `feed of ${user}`);
        assert.deepEqual(read.get(cursors[1]!), feed.afterFirst, `feed of ${user} after its first event`);
        const firstTwo = await store.userEvents.read([cursors[0]!], 2);
        assert.deepEqual([...firstTwo.values()][0], feed.firstTwo, `the first two events of ${user}`);
        assert.equal(await store.userEvents.head(user), feed.head, `head of ${user}`);
      }
    });

    it("the outbox relay reads the old records in order, and the SQL bus each group's from its committed offset", async () => {
      const relayed = await consume<BusRecord>((handler) => store.outbox.drain(handler), old.outbox.length);
      assert.deepEqual(parsed(relayed), old.outbox);
      const bus = new SqlBus(database.db, { ...LOOP, partitions: PARTITIONS, exclusive: database.exclusive, wakeups, log });
      try {
        for (const { group, topic } of busGroups()) {
          const expected = old.bus.get(`${group}/${topic}`)!;
          const consumed = await consume<ConsumedRecord>((handler) => bus.subscribe(group, topic, handler), expected.length);
          assert.deepEqual(consumed, expected, `${group} on ${topic}`);
        }
        // The log goes on from the old heads.
        const run = BUS.find((entry) => entry.topic === 'message_processing' && entry.key === PRIVATE)!;
        await bus.publish([{ topic: run.topic, key: run.key, value: { after: 'the upgrade' } }]);
        const next = await consume<ConsumedRecord>((handler) => bus.subscribe(run.group, run.topic, handler), 1);
        assert.deepEqual(next, [{ topic: run.topic, partition: partitionFor(PRIVATE, PARTITIONS), key: PRIVATE, value: { after: 'the upgrade' }, offset: String(run.values.length) }]);
      } finally {
        await bus.close();
      }
      assert.deepEqual(errors, []);
    });

    it('the ledger moves a migrated message on, and replays a migrated dead letter', async () => {
      const channelAt = new Date(t(400_000));
      const delivered = { messageId: mid(2), channel: 'whatsapp', recipientId: BOB };
      const deliveredAt = await store.ledger.transaction(async (tx) => {
        const ledger = await tx.load([mid(2)], { deliveries: true });
        assert.equal(ledger.step(delivered, { status: 'delivered', channelAt }), true);
        await tx.write(ledger);
        return new Date(ledger.now);
      });
      const before2 = old.messages.get(mid(2))!;
      const after2 = (await store.messages.find(mid(2)))!;
      assert.equal(after2.status, 'delivered');
      assert.deepEqual(after2.history, [...before2.history, { status: 'delivered', reason: null, at: deliveredAt }]);
      assert.deepEqual(after2.deliveries[0]!.history, [
        ...before2.deliveries[0]!.history,
        { status: 'delivered', reason: null, channelAt, recordedAt: deliveredAt },
      ]);

      const replayed = { messageId: mid(5), channel: 'whatsapp', recipientId: CAROL };
      const replayedAt = await store.ledger.transaction(async (tx) => {
        const ledger = await tx.load([mid(5)], { deliveries: true });
        assert.equal(ledger.replay(replayed, REPLAY_REASON), true);
        await tx.write(ledger);
        return new Date(ledger.now);
      });
      const before5 = old.messages.get(mid(5))!;
      const after5 = (await store.messages.find(mid(5)))!;
      assert.equal(after5.status, 'in_transit');
      assert.deepEqual(after5.history, [...before5.history, { status: 'in_transit', reason: REPLAY_REASON, at: replayedAt }]);
      const carol = after5.deliveries.find((d) => d.recipientId === CAROL)!;
      assert.equal(carol.status, 'pending');
      assert.deepEqual(carol.history, [
        ...before5.deliveries.find((d) => d.recipientId === CAROL)!.history,
        { status: 'pending', reason: REPLAY_REASON, channelAt: null, recordedAt: replayedAt },
      ]);
    });

    it('a new feed append gives each user the id after their old head, and an event appended before is not appended again', async () => {
      const heads = new Map(USERS.map((user) => [user, old.feeds.get(user)!.head]));
      // message.created of an old message, as a redelivered old record carries it (the new code keys it the same)
      const again = createdEvent(messageOf(5)) as HubEvent;
      assert.equal(again.key, messageCreated(again.data as MessageCreatedData).key);
      const read = conversationRead({ conversation_id: GROUP, user_id: BOB, up_to_seq: 3, at: new Date(t(400_100)).toISOString() });
      assert.deepEqual(await store.userEvents.append([again, read]), []);
      for (const user of USERS) {
        assert.equal(await store.userEvents.head(user), heads.get(user)! + 1, `head of ${user}`);
        const cursor = { userId: user, afterEventId: heads.get(user)! };
        const events = (await store.userEvents.read([cursor], 100)).get(cursor)!;
        assert.deepEqual(events, [{ eventId: heads.get(user)! + 1, type: 'conversation.read', occurredAt: new Date(read.occurred_at), data: read.data }]);
      }
    });
  });
}
