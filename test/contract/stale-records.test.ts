import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { setTimeout as pause } from 'node:timers/promises';
import { Admin, Consumer, murmur2, Producer, stringDeserializers, stringSerializer } from '@platformatic/kafka';
import { ApiClient, waitFor, type Session } from '../support/api-client.ts';
import { EventSocket } from '../support/event-socket.ts';
import { HubProcess } from '../support/hub-process.ts';
import { distributedState, testModes } from '../support/test-modes.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

/**
 * A bus that outlived its database: the hub's topics already hold records of an earlier database (a reset database,
 * a restored backup, a killed run) when it starts on a fresh one. Each consumer sets those records aside on the
 * dead_letters topic, with why, and goes on: new messages are routed, delivered and announced on every partition.
 */

const BROKERS = [process.env.KAFKA_BOOTSTRAP_SERVERS ?? '127.0.0.1:9092'];
/** The hub's default CHAT4ALL_PARTITIONS. */
const PARTITIONS = 6;
const CHANNELS = ['whatsapp', 'instagram'];
const GROUP_OF: Record<string, string> = {
  hub_events: 'notifier',
  message_processing: 'message-router',
  whatsapp_outgoing: 'whatsapp-connector',
  instagram_outgoing: 'instagram-connector',
};

/** One record put on a topic before the hub's database existed, and what its dead letter must say. */
interface Injected {
  topic: string;
  partition: number;
  offset: string;
  key: string;
  /** A string or bytes that are not JSON, or undefined for a record without a value. */
  raw: string | Buffer | undefined;
  /** The value as JSON, when it is JSON. */
  json?: unknown;
  /** The value its dead letter holds, when not `json`. */
  stored?: unknown;
  reason: RegExp;
}

interface DeadLetter {
  group: string;
  topic: string;
  partition: number;
  offset: string;
  key: string;
  value: unknown;
  value_base64?: string;
  reason: string;
  failed_at: string;
}

const distributed = testModes.includes('distributed');
const skip = distributed ? false : 'distributed mode is off (CHAT4ALL_TEST_MODES has no "distributed"): the stale records are on Kafka';

describe('records older than the database [distributed]', { skip }, () => {
  let dataDir: string;
  let prefix: string;
  let hub: HubProcess | undefined;
  let receiver: WebhookReceiver | undefined;
  const injected: Injected[] = [];

  before(async () => {
    dataDir = await HubProcess.freshDataDir('distributed', 'chat4all-stale-');
    prefix = distributedState(dataDir).topicPrefix;
    const topics = ['hub_events', 'message_processing', ...CHANNELS.map((channel) => `${channel}_outgoing`)];
    await createTopics(topics.map((topic) => prefix + topic));
    injected.push(...(await produce(prefix, staleRecords())));
    // Only now does the hub's database come to be (HubProcess.stateEnv creates it), on a bus that holds all that.
    hub = await HubProcess.start({ mode: 'distributed', dataDir, env: { CHAT4ALL_WEBHOOK_BACKOFF_BASE_MS: '50', CHAT4ALL_WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true' } });
  });

  after(async () => {
    await receiver?.close();
    if (hub) await hub.kill('SIGTERM');
    if (hub && process.env.DEBUG_STALE) await writeFile(process.env.DEBUG_STALE, hub.output);
    if (dataDir) await HubProcess.removeState(dataDir, 'distributed');
  });

  it('sets every record it cannot apply aside on dead_letters, with its reason, and delivers new messages on every partition', async (t) => {
    const client = new ApiClient(hub!.url);
    const [alice, bob, carol] = await Promise.all([client.login('user1'), client.login('user2'), client.login('user3')]);
    receiver = await WebhookReceiver.start();
    const webhook = await bob.post('/v1/webhooks', { url: receiver.url(), events: ['message.created'] });
    assert.equal(webhook.status, 201, JSON.stringify(webhook.body));

    // Conversation ids are the server's: make conversations until their records cover every partition (they are
    // keyed by conversation id, on every topic), each of which holds stale records ahead of them.
    const conversations: string[] = [];
    const covered = new Set<number>();
    while (covered.size < PARTITIONS) {
      assert.ok(conversations.length < 100, `100 conversations covered only partitions ${[...covered].join(', ')}`);
      const id = await alice.createConversation('group', [alice.userId, bob.userId, carol.userId]);
      conversations.push(id);
      covered.add(partitionOf(id));
    }
    t.diagnostic(`${conversations.length} conversations cover the ${PARTITIONS} partitions`);

    const socket = await EventSocket.open(hub!.url, bob.token);
    const sent = new Map<string, string>();
    for (const conversation of conversations) sent.set(await send(alice, conversation), conversation);

    const what = (text: string) => `${text}; the hub's last output:\n${hub!.output.slice(-3_000)}`;
    await waitFor(async () => [...sent.keys()].every((id) => socket.events.some((f) => f.type === 'message.created' && f.data.message_id === id)), {
      timeoutMs: 60_000,
      what: what('message.created on the WebSocket for every message'),
    });
    await waitFor(async () => {
      const statuses = await Promise.all([...sent.keys()].map(async (id) => (await alice.get(`/v1/messages/${id}`)).body.status));
      return statuses.every((status) => status === 'delivered');
    }, { timeoutMs: 60_000, intervalMs: 250, what: what('every message delivered on both channels') });
    await waitFor(async () => [...sent.keys()].every((id) => receiver!.delivered().some((a) => a.payload.data?.message_id === id)), {
      timeoutMs: 30_000,
      what: what("every message.created on bob's webhook"),
    });
    for (const channel of ['WhatsApp', 'Instagram']) {
      for (const id of sent.keys()) {
        assert.ok(hub!.output.includes(`INFO: Mensagem ${id} enviada para o usuário ${bob.userId} no ${channel}`), `${id} on ${channel}`);
      }
    }
    await socket.close();

    // Every injected record is on dead_letters, once found, with where it came from and why; nothing else is.
    const letters = await readDeadLetters(prefix + 'dead_letters', injected.length, what);
    const where = (r: { topic: string; partition: number; offset: string }) => `${r.topic}/${r.partition}/${r.offset}`;
    const byPlace = new Map<string, DeadLetter>();
    for (const letter of letters) {
      assert.ok(injected.some((record) => where(record) === where(letter)), `only injected records are dead letters, not ${JSON.stringify(letter)}`);
      byPlace.set(where(letter), letter);
    }
    for (const record of injected) {
      const letter = byPlace.get(where(record));
      assert.ok(letter, `${where(record)} (${describeRaw(record)}) is on dead_letters`);
      assert.equal(letter.group, GROUP_OF[record.topic], where(record));
      assert.equal(letter.key, record.key, where(record));
      assert.match(letter.reason, record.reason, where(record));
      assert.ok(!Number.isNaN(Date.parse(letter.failed_at)), `${where(record)}: failed_at ${letter.failed_at}`);
      // The value as it was: its JSON, its text, its bytes when they are not text, null when it had none.
      if (record.json !== undefined) assert.deepEqual(letter.value, record.stored ?? record.json, where(record));
      else if (Buffer.isBuffer(record.raw)) assert.deepEqual([letter.value, letter.value_base64], [null, record.raw.toString('base64')], where(record));
      else assert.equal(letter.value, record.raw ?? null, where(record));
    }
    t.diagnostic(`${letters.length} dead letters for ${injected.length} injected records`);

    // Logged at error level, each with the running count of its consumer group.
    const logged = hub!.output
      .split('\n')
      .filter((line) => line.includes('cannot be applied'))
      .map((line) => JSON.parse(line) as { level: string; group: string; topic: string; partition: number; offset: string; dead_letters: number });
    for (const record of injected) {
      const line = logged.find((entry) => where(entry) === where(record));
      assert.ok(line, `a log line for ${where(record)}`);
      assert.equal(line.level, 'error');
      assert.equal(line.group, GROUP_OF[record.topic]);
    }
    for (const group of new Set(Object.values(GROUP_OF))) {
      const expected = injected.filter((record) => GROUP_OF[record.topic] === group).length;
      const counts = logged.filter((entry) => entry.group === group).map((entry) => entry.dead_letters);
      assert.ok(Math.max(...counts) >= expected, `${group} counted ${Math.max(...counts)} dead letters, at least ${expected} expected`);
    }

    // Stopping, each role says how many it set aside.
    assert.equal(await hub!.kill('SIGTERM'), 0);
    for (const group of new Set(Object.values(GROUP_OF))) {
      const expected = injected.filter((record) => GROUP_OF[record.topic] === group).length;
      const total = hub!.linesWith(`${group} set aside`).map((line) => JSON.parse(line) as { level: string; dead_letters: number });
      assert.equal(total.length, 1, `one total line for ${group}`);
      assert.equal(total[0]!.level, 'warn');
      assert.ok(total[0]!.dead_letters >= expected, `${group}: ${total[0]!.dead_letters} set aside, at least ${expected} expected`);
    }
  });
});

/** Stale records on every partition of every consumed topic, in each form a consumer may find. */
function staleRecords(): Array<Omit<Injected, 'offset'>> {
  const records: Array<Omit<Injected, 'offset'>> = [];
  const unknownConversation = /conversation \S+ does not exist/;
  const unknownMessage = /message \S+ does not exist/;
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const conversation = randomUUID();
    const message = accepted(conversation);
    // hub_events as written now (one record per conversation and transaction), and one event per record, as before.
    const created = { type: 'message.created', key: `message.created:${message.message_id}`, conversation_id: conversation, audience: 'members', occurred_at: message.created_at, data: message };
    const status = {
      type: 'message.status',
      key: `message.status:${message.message_id}:0:in_transit`,
      conversation_id: conversation,
      audience: [message.from],
      occurred_at: message.created_at,
      data: { message_id: message.message_id, conversation_id: conversation, seq: 1, status: 'in_transit', previous_status: 'accepted', reason: null, at: message.created_at },
    };
    records.push(json('hub_events', partition, conversation, { conversation_id: conversation, events: [created, status] }, unknownConversation));
    records.push(json('hub_events', partition, conversation, status, unknownConversation));
    records.push(json('message_processing', partition, conversation, message, unknownMessage));
    for (const channel of CHANNELS) records.push(json(`${channel}_outgoing`, partition, conversation, dispatch(message, channel), unknownMessage));
  }
  // JSON that PostgreSQL cannot store (U+0000, a lone surrogate): its dead letter has U+FFFD in their place.
  const unstorable = { ...accepted(randomUUID()), note: 'nul \u0000 and lone \ud800' };
  records.push({ ...json('message_processing', 4, unstorable.conversation_id, unstorable, unknownMessage), stored: { ...unstorable, note: 'nul \ufffd and lone \ufffd' } });
  // Not JSON at all, a value that is no record of the topic, and a record without a value.
  const notJson = /not JSON/i;
  records.push({ topic: 'hub_events', partition: 1, key: randomUUID(), raw: 'this is not JSON {', reason: notJson });
  records.push({ topic: 'hub_events', partition: 4, key: randomUUID(), raw: Buffer.from([0x00, 0xff, 0xfe, 0x7b, 0x00]), reason: notJson });
  records.push({ topic: 'message_processing', partition: 2, key: randomUUID(), raw: '{"message_id": ', reason: notJson });
  records.push(json('message_processing', 3, randomUUID(), null, /not a message_processing record/));
  records.push({ topic: 'whatsapp_outgoing', partition: 5, key: randomUUID(), raw: '<xml/>', reason: notJson });
  records.push({ topic: 'instagram_outgoing', partition: 0, key: randomUUID(), raw: undefined, reason: /no value/i });
  records.push(json('instagram_outgoing', 1, randomUUID(), { message_id: 'not-a-uuid' }, /not a channel dispatch record/));
  return records;
}

function json(topic: string, partition: number, key: string, value: unknown, reason: RegExp): Omit<Injected, 'offset'> {
  return { topic, partition, key, raw: JSON.stringify(value), json: value, reason };
}

function accepted(conversationId: string) {
  return {
    message_id: randomUUID(),
    conversation_id: conversationId,
    seq: 1,
    from: randomUUID(),
    to: null,
    channels: ['all'],
    payload: { type: 'text', text: 'from an earlier database' },
    priority: 'normal',
    created_at: new Date(Date.now() - 86_400_000).toISOString(),
  };
}

function dispatch(message: ReturnType<typeof accepted>, channel: string) {
  const { message_id, conversation_id, seq, from, payload, priority } = message;
  return { message_id, conversation_id, seq, from, channel, recipients: [randomUUID()], payload, priority };
}

function describeRaw(record: Injected): string {
  if (record.raw === undefined) return 'no value';
  return Buffer.isBuffer(record.raw) ? `bytes ${record.raw.toString('hex')}` : record.raw.slice(0, 80);
}

/** The partition the hub's producer (the library's default partitioner) gives a key. */
function partitionOf(key: string): number {
  return (murmur2(Buffer.from(key)) >>> 0) % PARTITIONS;
}

async function send(from: Session, conversation: string): Promise<string> {
  const body = from.textMessage(conversation, { channels: ['all'], payload: { type: 'text', text: 'after the reset' } });
  const response = await from.post('/v1/messages', body);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return body.message_id as string;
}

async function createTopics(topics: string[]): Promise<void> {
  const admin = new Admin({ clientId: 'chat4all-tests-stale', bootstrapBrokers: BROKERS });
  try {
    await admin.createTopics({ topics, partitions: PARTITIONS, replicas: 1 });
  } finally {
    await admin.close();
  }
}

/** Produces the records one at a time, in order, and returns them with the offset each got. */
async function produce(prefix: string, records: ReadonlyArray<Omit<Injected, 'offset'>>): Promise<Injected[]> {
  const producer = new Producer<string, string | Buffer | undefined, string, string>({
    clientId: 'chat4all-tests-stale',
    bootstrapBrokers: BROKERS,
    serializers: {
      key: stringSerializer,
      value: (value?: string | Buffer) => (value === undefined ? undefined : Buffer.isBuffer(value) ? value : Buffer.from(value)),
      headerKey: stringSerializer,
      headerValue: stringSerializer,
    },
    autocreateTopics: false,
  });
  try {
    // A topic just created can be missing from the broker's metadata for a moment: wait for it rather than retry a
    // send, which could write some records twice.
    const topics = [...new Set(records.map((r) => prefix + r.topic))];
    await waitFor(async () => {
      const metadata = await producer.metadata({ topics, forceUpdate: true }).catch(() => undefined);
      return metadata !== undefined && topics.every((topic) => metadata.topics.get(topic)?.partitionsCount === PARTITIONS);
    }, { what: 'the new topics in the broker metadata' });
    const produced: Injected[] = [];
    for (const record of records) {
      const result = await producer.send({ messages: [{ topic: prefix + record.topic, partition: record.partition, key: record.key, value: record.raw }] });
      const offset = result.offsets?.[0]?.offset;
      assert.ok(offset !== undefined, `an offset for ${record.topic}/${record.partition}`);
      produced.push({ ...record, offset: String(offset) });
    }
    return produced;
  } finally {
    await producer.close();
  }
}

/** Reads dead_letters from its start until `count` distinct records are there (and a moment more, for extras). */
async function readDeadLetters(topic: string, count: number, what: (text: string) => string): Promise<DeadLetter[]> {
  const consumer = new Consumer({
    groupId: `chat4all-tests-${randomUUID()}`,
    clientId: 'chat4all-tests-stale',
    bootstrapBrokers: BROKERS,
    deserializers: stringDeserializers,
  });
  const letters: DeadLetter[] = [];
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
    stream.on('data', (message) => letters.push(JSON.parse(message.value) as DeadLetter));
    const distinct = () => new Set(letters.map((l) => `${l.topic}/${l.partition}/${l.offset}`)).size;
    await waitFor(async () => distinct() >= count, { timeoutMs: 60_000, what: `${count} records on dead_letters` }).catch((error: Error) => {
      throw new Error(what(`${error.message}: ${distinct()} came`));
    });
    await pause(2_000);
    await stream.close();
  } finally {
    await consumer.close(true);
  }
  return letters;
}
