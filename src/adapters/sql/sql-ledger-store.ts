import { sql, type RawBuilder, type Transaction } from 'kysely';
import { hubEventsRecord } from '../../domain/hub-events.ts';
import { DeliverySteps, Ledger, MessageSteps, type DeliveryRef, type DeliveryState, type DeliveryStep, type MessageState } from '../../domain/ledger.ts';
import type { DeliveryStatus } from '../../domain/message-status.ts';
import type { MessageRow } from './message-row.ts';
import { HAND_OVER_FROM } from '../../domain/message-status.ts';
import type { HandOver, LedgerStore, LedgerTransaction, LoadOptions, PendingDelivery } from '../../ports/ledger-store.ts';
import { jsonOf, type BusRecord } from '../../ports/message-bus.ts';
import { mustRun, recordsCte, type RecordAppender } from './records/record-appender.ts';
import type { Db } from './sql-database.ts';

/** Each step's time columns: `<status>_at` (ours) and `<status>_channel_at` (the channel's). */
const stepColumns = DeliverySteps.flatMap((status) => [`${status}_at`, `${status}_channel_at`]);
const messageTimeColumns = MessageSteps.map((status) => `${status}_at`);

/** Times as the database writes them (text keeps the microseconds a Date would drop). */
const asText = (columns: readonly string[], table: string) => sql.raw(columns.map((c) => `${table}.${c}::text AS ${c}`).join(', '));

/** A message as load() reads it: its times as text (microseconds kept), the transaction's time, maybe its members. */
interface LoadedMessageRow extends Omit<MessageRow, 'request_hash' | 'created_at' | 'updated_at'> {
  reason: string | null;
  generation: number;
  created_at: string;
  now: string;
  members?: string[];
  [time: string]: unknown;
}

interface DeliveryRow {
  message_id: string;
  channel: string;
  recipient_id: string;
  status: DeliveryStatus;
  reason: string | null;
  provider_message_id: string | null;
  read_up_to: number | string;
  now: string;
  [time: string]: unknown;
}

const toMessageState = (row: LoadedMessageRow): MessageState => ({
  messageId: row.id,
  conversationId: row.conversation_id,
  seq: Number(row.seq),
  from: row.from_user_id,
  to: row.to_user_id,
  channels: row.channels,
  payload: row.payload,
  priority: row.priority,
  createdAt: row.created_at,
  status: row.status,
  reason: row.reason,
  generation: row.generation,
  times: Object.fromEntries(MessageSteps.flatMap((status) => (row[`${status}_at`] ? [[status, row[`${status}_at`] as string]] : []))),
  ...(row.members ? { members: row.members } : {}),
});

const toDeliveryState = (row: DeliveryRow): DeliveryState => ({
  messageId: row.message_id,
  channel: row.channel,
  recipientId: row.recipient_id,
  status: row.status,
  reason: row.reason,
  providerMessageId: row.provider_message_id,
  readUpTo: Number(row.read_up_to),
  steps: Object.fromEntries(
    DeliverySteps.flatMap((status) =>
      row[`${status}_at`] ? [[status, { at: row[`${status}_at`] as string, channelAt: (row[`${status}_channel_at`] as string | null) ?? null }]] : [],
    ),
  ),
});

/**
 * The ledger on SQL: a transaction locks the messages it loads (FOR UPDATE, in id order), reads their deliveries
 * afterwards (so it sees what a writer that held the locks before it committed), and writes every change with its
 * records in one statement. Every writer of deliveries locks their messages first, so one at a time decides.
 */
export class SqlLedgerStore implements LedgerStore {
  readonly #db: Db;
  readonly #appender: RecordAppender;

  constructor(db: Db, appender: RecordAppender) {
    this.#db = db;
    this.#appender = appender;
  }

  async transaction<T>(work: (tx: LedgerTransaction) => Promise<T>): Promise<T> {
    const topics = new Set<string>();
    const result = await this.#db.transaction().execute((trx) => work(new SqlLedgerTransaction(trx, this.#appender, topics)));
    if (topics.size > 0) this.#appender.written(topics);
    return result;
  }

  async recordHandOvers(channel: string, handOvers: readonly HandOver[]): Promise<HandOver[]> {
    if (handOvers.length === 0) return [];
    const column = <T>(pick: (handOver: HandOver) => T) => handOvers.map(pick);
    const records = handOvers.flatMap((h, i) => (h.record ? [{ record: h.record, handOver: i + 1 }] : []));
    const appended = records.length > 0 ? this.#appender.append('dead_letters', 'dead_letters') : undefined;
    // A step stamps its own columns; a hand-over the channel answered "delivered" also stamps sent.
    const stamp = (status: DeliveryStep['status'], also = sql`false`) => {
      const [at, channelAt] = [sql.raw(`${status}_at`), sql.raw(`${status}_channel_at`)];
      return sql`${at} = CASE WHEN h.status = ${status} OR ${also} THEN clock_timestamp() ELSE d.${at} END,
                 ${channelAt} = CASE WHEN h.status = ${status} OR ${also} THEN h.channel_at ELSE d.${channelAt} END`;
    };
    const { rows } = await sql<{ position: number | string }>`
      WITH handed AS (
        SELECT * FROM unnest(${column((h) => h.messageId)}::uuid[], ${column((h) => h.recipientId)}::uuid[],
                             ${column((h) => h.step.status)}::text[], ${column((h) => h.step.reason ?? null)}::text[],
                             ${column((h) => h.step.providerMessageId ?? null)}::text[], ${column((h) => h.step.sentToo ?? false)}::bool[],
                             ${column((h) => h.step.channelAt?.toISOString() ?? null)}::timestamptz[])
          WITH ORDINALITY AS h (message_id, recipient_id, status, reason, provider_message_id, sent_too, channel_at, position)
      ), recorded AS (
        UPDATE deliveries d
        SET status = h.status, reason = h.reason, updated_at = clock_timestamp(),
            provider_message_id = coalesce(h.provider_message_id, d.provider_message_id),
            ${stamp('sent', sql`h.sent_too`)}, ${stamp('delivered')}, ${stamp('failed')}
        FROM handed h
        WHERE d.message_id = h.message_id AND d.channel = ${channel} AND d.recipient_id = h.recipient_id
          AND d.status = ${HAND_OVER_FROM}
        RETURNING h.position
      )${records.length > 0 ? sql`, candidates AS (
        SELECT * FROM unnest(${records.map((r) => this.#appender.partitionOf(r.record.key))}::int[], ${records.map((r) => r.record.topic)}::text[],
                             ${records.map((r) => r.record.key)}::text[], ${records.map((r) => jsonOf(r.record.value))}::jsonb[],
                             ${records.map((r) => r.handOver)}::bigint[])
          WITH ORDINALITY AS r (partition, topic, key, value, hand_over, position)
      ), dead_letters AS (SELECT * FROM candidates WHERE hand_over IN (SELECT position FROM recorded)),
        ${appended!.ctes}` : sql``}
      SELECT position FROM recorded ${appended?.mustRun ? sql`, ${mustRun(appended.mustRun)} AS announced` : sql``}`.execute(this.#db);
    if (records.length > 0) this.#appender.written(records.map((r) => r.record.topic));
    return rows.map((row) => handOvers[Number(row.position) - 1]!);
  }

  async pendingDeliveries(messageIds: readonly string[], channel: string): Promise<PendingDelivery[]> {
    const { rows } = await sql<{ message_id: string; recipient_id: string; address: string | null }>`
      SELECT d.message_id, d.recipient_id, i.address FROM deliveries d
      LEFT JOIN channel_identities i ON i.user_id = d.recipient_id AND i.channel = d.channel
      WHERE d.message_id = ANY(${[...messageIds]}::uuid[]) AND d.channel = ${channel} AND d.status = 'pending'`.execute(this.#db);
    return rows.map((row) => ({ messageId: row.message_id, recipientId: row.recipient_id, address: row.address ?? row.recipient_id }));
  }

  async findByProviderIds(channel: string, providerMessageIds: readonly string[]): Promise<Map<string, DeliveryRef>> {
    const { rows } = await sql<{ provider_message_id: string; message_id: string; recipient_id: string }>`
      SELECT provider_message_id, message_id, recipient_id FROM deliveries
      WHERE channel = ${channel} AND provider_message_id = ANY(${[...providerMessageIds]}::text[])`.execute(this.#db);
    return new Map(rows.map((row) => [row.provider_message_id, { messageId: row.message_id, channel, recipientId: row.recipient_id }]));
  }
}

class SqlLedgerTransaction implements LedgerTransaction {
  readonly #trx: Transaction<unknown>;
  readonly #appender: RecordAppender;
  readonly #topics: Set<string>;

  constructor(trx: Transaction<unknown>, appender: RecordAppender, topics: Set<string>) {
    this.#trx = trx;
    this.#appender = appender;
    this.#topics = topics;
  }

  async load(messageIds: readonly string[], options: LoadOptions = {}): Promise<Ledger> {
    const ids = [...new Set(messageIds)];
    const { rows: messages } = await sql<LoadedMessageRow>`
      SELECT m.id, m.conversation_id, m.seq, m.from_user_id, m.to_user_id, m.channels, m.payload, m.priority, m.status,
             m.reason, m.generation, m.created_at::text AS created_at, ${asText(messageTimeColumns, 'm')},
             clock_timestamp()::text AS now
             ${options.members ? sql`, ARRAY(SELECT cm.user_id::text FROM conversation_members cm
                                           WHERE cm.conversation_id = m.conversation_id ORDER BY cm.position) AS members` : sql``}
      FROM messages m WHERE m.id = ANY(${ids}::uuid[]) ORDER BY m.id FOR UPDATE OF m`.execute(this.#trx);
    let now = messages[0]?.now ?? (await sql<{ now: string }>`SELECT clock_timestamp()::text AS now`.execute(this.#trx)).rows[0]!.now;
    let deliveries: DeliveryRow[] = [];
    if (options.deliveries && messages.length > 0) {
      // A statement of its own, after the locks: its snapshot has what the writers we waited for committed.
      ({ rows: deliveries } = await sql<DeliveryRow>`
        SELECT d.message_id, d.channel, d.recipient_id, d.status, d.reason, d.provider_message_id, ${asText(stepColumns, 'd')},
               coalesce(cm.last_read_seq, 0) AS read_up_to, clock_timestamp()::text AS now
        FROM deliveries d JOIN messages m ON m.id = d.message_id
        LEFT JOIN conversation_members cm ON cm.conversation_id = m.conversation_id AND cm.user_id = d.recipient_id
        WHERE d.message_id = ANY(${ids}::uuid[])
        ORDER BY d.message_id, d.channel, d.recipient_id`.execute(this.#trx));
      now = deliveries[0]?.now ?? now;
    }
    return new Ledger(now, messages.map(toMessageState), deliveries.map(toDeliveryState));
  }

  async lockReadPointer(conversationId: string, userId: string): Promise<{ pointer: number; lastSeq: number } | undefined> {
    const { rows } = await sql<{ pointer: number | string; last_seq: number | string }>`
      SELECT me.last_read_seq AS pointer, c.last_seq
      FROM conversation_members me JOIN conversations c ON c.id = me.conversation_id
      WHERE me.conversation_id = ${conversationId} AND me.user_id = ${userId}
      FOR UPDATE OF me`.execute(this.#trx);
    const row = rows[0];
    return row && { pointer: Number(row.pointer), lastSeq: Number(row.last_seq) };
  }

  async moveReadPointer(conversationId: string, userId: string, from: number, to: number): Promise<string[]> {
    // Deliveries still pending count: locking their messages orders us against the connector handing them over.
    const { rows } = await sql<{ id: string }>`
      WITH moved AS (
        UPDATE conversation_members SET last_read_seq = ${to} WHERE conversation_id = ${conversationId} AND user_id = ${userId}
      )
      SELECT m.id FROM messages m
      WHERE m.conversation_id = ${conversationId} AND m.seq > ${from} AND m.seq <= ${to}
        AND EXISTS (SELECT 1 FROM deliveries d
                    WHERE d.message_id = m.id AND d.recipient_id = ${userId} AND d.status IN ('pending', 'sent', 'delivered'))
      ORDER BY m.id`.execute(this.#trx);
    return rows.map((row) => row.id);
  }

  async write(ledger: Ledger, records: readonly BusRecord[] = []): Promise<void> {
    const changes = ledger.changes();
    const byConversation = Map.groupBy(changes.events, (event) => event.conversation_id);
    const all = [...[...byConversation].map(([conversationId, events]) => hubEventsRecord(conversationId, events)), ...records];
    const ctes: RawBuilder<unknown>[] = [];
    const run: string[] = [];
    const { now } = ledger;
    if (changes.messages.length > 0) ctes.push(updateMessages(changes.messages, now));
    if (changes.created.length > 0) ctes.push(insertDeliveries(changes.created, now));
    if (changes.updated.length > 0) ctes.push(updateDeliveries(changes.updated, now));
    if (changes.messageArchive.length > 0) {
      const steps = changes.messageArchive;
      ctes.push(sql`message_archive AS (
        INSERT INTO message_events (message_id, status, reason, at)
        SELECT * FROM unnest(${steps.map((s) => s.messageId)}::uuid[], ${steps.map((s) => s.status)}::text[],
                             ${steps.map((s) => s.reason)}::text[], ${steps.map((s) => s.at)}::timestamptz[]))`);
    }
    if (changes.deliveryArchive.length > 0) {
      const steps = changes.deliveryArchive;
      ctes.push(sql`delivery_archive AS (
        INSERT INTO delivery_events (message_id, channel, recipient_id, status, reason, channel_at, recorded_at)
        SELECT * FROM unnest(${steps.map((s) => s.messageId)}::uuid[], ${steps.map((s) => s.channel)}::text[],
                             ${steps.map((s) => s.recipientId)}::uuid[], ${steps.map((s) => s.status)}::text[],
                             ${steps.map((s) => s.reason)}::text[], ${steps.map((s) => s.channelAt)}::timestamptz[],
                             ${steps.map((s) => s.at)}::timestamptz[]))`);
    }
    if (all.length > 0) {
      ctes.push(recordsCte('records', all, this.#appender));
      const appended = this.#appender.append('records', 'records');
      ctes.push(appended.ctes);
      if (appended.mustRun) run.push(appended.mustRun);
      for (const record of all) this.#topics.add(record.topic);
    }
    if (ctes.length === 0) return;
    await sql`WITH ${sql.join(ctes, sql`, `)} SELECT ${run.length > 0 ? sql.join(run.map(mustRun), sql`, `) : sql`1`}`.execute(this.#trx);
  }
}

function updateMessages(messages: readonly MessageState[], now: string): RawBuilder<unknown> {
  const times = MessageSteps.map((status) => sql`${messages.map((m) => m.times[status] ?? null)}::timestamptz[]`);
  return sql`messages_moved AS (
    UPDATE messages m
    SET status = c.status, reason = c.reason, generation = c.generation, updated_at = ${now}::timestamptz,
        ${sql.raw(messageTimeColumns.map((column) => `${column} = c.${column}`).join(', '))}
    FROM unnest(${messages.map((m) => m.messageId)}::uuid[], ${messages.map((m) => m.status)}::text[],
                ${messages.map((m) => m.reason)}::text[], ${messages.map((m) => m.generation)}::int[], ${sql.join(times, sql`, `)})
         AS c (id, status, reason, generation, ${sql.raw(messageTimeColumns.join(', '))})
    WHERE m.id = c.id)`;
}

/** The columns of a delivery's state, as arrays for unnest, in the order of deliveryColumnNames. */
function deliveryArrays(deliveries: readonly DeliveryState[]): RawBuilder<unknown> {
  const steps = DeliverySteps.flatMap((status) => [
    sql`${deliveries.map((d) => d.steps[status]?.at ?? null)}::timestamptz[]`,
    sql`${deliveries.map((d) => d.steps[status]?.channelAt ?? null)}::timestamptz[]`,
  ]);
  return sql.join(
    [
      sql`${deliveries.map((d) => d.messageId)}::uuid[]`,
      sql`${deliveries.map((d) => d.channel)}::text[]`,
      sql`${deliveries.map((d) => d.recipientId)}::uuid[]`,
      sql`${deliveries.map((d) => d.status)}::text[]`,
      sql`${deliveries.map((d) => d.reason)}::text[]`,
      sql`${deliveries.map((d) => d.providerMessageId)}::text[]`,
      ...steps,
    ],
    sql`, `,
  );
}

const deliveryColumnNames = ['message_id', 'channel', 'recipient_id', 'status', 'reason', 'provider_message_id', ...stepColumns];

function insertDeliveries(deliveries: readonly DeliveryState[], now: string): RawBuilder<unknown> {
  const columns = sql.raw(deliveryColumnNames.join(', '));
  return sql`deliveries_planned AS (
    INSERT INTO deliveries (${columns}, created_at, updated_at)
    SELECT ${columns}, ${now}::timestamptz, ${now}::timestamptz
    FROM unnest(${deliveryArrays(deliveries)}) AS c (${columns})
    ON CONFLICT DO NOTHING)`;
}

function updateDeliveries(deliveries: readonly DeliveryState[], now: string): RawBuilder<unknown> {
  const set = deliveryColumnNames.slice(3).map((column) => `${column} = c.${column}`).join(', ');
  return sql`deliveries_moved AS (
    UPDATE deliveries d SET ${sql.raw(set)}, updated_at = ${now}::timestamptz
    FROM unnest(${deliveryArrays(deliveries)}) AS c (${sql.raw(deliveryColumnNames.join(', '))})
    WHERE d.message_id = c.message_id AND d.channel = c.channel AND d.recipient_id = c.recipient_id)`;
}
