import { setTimeout as sleep } from 'node:timers/promises';
import {
  Admin,
  Consumer,
  ProduceAcks,
  Producer,
  stringDeserializers,
  stringSerializers,
  type Message,
} from '@platformatic/kafka';
import type { KafkaSecurity } from '../../config.ts';
import type { Logger } from '../../ports/logger.ts';
import {
  jsonOf,
  UnreadableValue,
  type BatchHandler,
  type BusRecord,
  type ConsumedRecord,
  type MessageBus,
  type Subscription,
} from '../../ports/message-bus.ts';
import { kafkaConnectionOptions } from './kafka-connection.ts';

export interface KafkaBusOptions {
  bootstrapServers: string[];
  clientId: string;
  /** Partitions of each topic the hub creates. */
  partitions: number;
  /** How long to let a partial batch fill before handling it. */
  lingerMs: number;
  /** Prepended to every topic and consumer group, so deployments can share a cluster. */
  namespace: string;
  /** TLS and SASL, for a secured cluster. */
  security: KafkaSecurity;
  log: Logger;
}

/**
 * Values are read as bytes and parsed here, so that one that is not JSON reaches the handler (UnreadableValue).
 * The client gives undefined for a record without a key or a value, whatever the types say.
 */
type KafkaMessage = Message<string, Buffer, string, string>;

interface ActiveSubscription {
  consumer: Consumer<string, Buffer, string, string>;
  topic: string;
  handler: BatchHandler;
  signal: AbortSignal;
  log: Logger;
}

const BATCH_SIZE = 200;
/** Messages fetched ahead of the handler before the stream is paused. */
const PREFETCH = 1_000;
const SESSION_TIMEOUT_MS = 10_000;
const HEARTBEAT_INTERVAL_MS = 1_000;

/**
 * The bus on Apache Kafka. Publishing uses the idempotent producer with acks=all, so a record is acknowledged
 * only once every in-sync replica has it. Each subscription is a consumer in its own group that hands
 * batches to the handler and commits offsets only after the handler's effects are durable.
 */
export class KafkaBus implements MessageBus {
  readonly #options: KafkaBusOptions;
  readonly #producer: Producer<string, string, string, string>;
  readonly #subscriptions = new Set<Subscription>();
  readonly #closing = new AbortController();
  /** Topics known to exist, so publishing to a topic no role created yet creates it first (once). */
  readonly #ensured = new Set<string>();

  constructor(options: KafkaBusOptions) {
    this.#options = options;
    this.#producer = new Producer({
      clientId: `${options.clientId}-producer`,
      bootstrapBrokers: options.bootstrapServers,
      ...kafkaConnectionOptions(options.security, options.bootstrapServers),
      serializers: stringSerializers,
      idempotent: true,
      acks: ProduceAcks.ALL,
      autocreateTopics: false,
    });
  }

  /** Waits for the broker if it is not up yet, so a role started before Kafka simply starts late. */
  async ensureTopics(topics: readonly string[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#createTopics(topics);
      } catch (error) {
        if (this.#closing.signal.aborted) throw error;
        this.#options.log.warn({ err: error, attempt }, 'Kafka is not reachable yet; retrying');
        await sleep(Math.min(500 * attempt, 5_000), undefined, { signal: this.#closing.signal }).catch(() => {});
      }
    }
  }

  async #createTopics(topics: readonly string[]): Promise<void> {
    if (topics.every((topic) => this.#ensured.has(topic))) return;
    const admin = new Admin({
      clientId: `${this.#options.clientId}-admin`,
      bootstrapBrokers: this.#options.bootstrapServers,
      ...kafkaConnectionOptions(this.#options.security, this.#options.bootstrapServers),
    });
    const wanted = topics.map((topic) => this.#options.namespace + topic);
    const missing = async () => {
      const existing = new Set(await admin.listTopics());
      return wanted.filter((topic) => !existing.has(topic));
    };
    try {
      const absent = await missing();
      if (absent.length > 0) {
        try {
          await admin.createTopics({ topics: absent, partitions: this.#options.partitions, replicas: 1 });
          this.#options.log.info({ topics: absent, partitions: this.#options.partitions }, 'created Kafka topics');
        } catch (error) {
          // Processes starting together race to create the same topics: losing that race is fine.
          if (!alreadyExists(error)) throw error;
        }
      }
      await this.#awaitTopics(wanted);
      for (const topic of topics) this.#ensured.add(topic);
    } finally {
      await admin.close();
    }
  }

  /**
   * A topic just created can be missing from the broker's metadata for a moment, and a send to it then crashed
   * the process inside @platformatic/kafka (`partitionsCount` of undefined): wait until the producer sees it.
   */
  async #awaitTopics(topics: string[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const seen = await this.#producer.metadata({ topics, forceUpdate: true }).then(
        (metadata) => topics.every((topic) => (metadata.topics.get(topic)?.partitionsCount ?? 0) > 0),
        () => false,
      );
      if (seen) return;
      if (attempt === 100) throw new Error(`Kafka topics ${topics.join(', ')} are still not in the broker's metadata`);
      await sleep(100);
    }
  }

  async publish(records: readonly BusRecord[]): Promise<void> {
    if (records.length === 0) return;
    // The outbox may carry records for a topic whose consumers have not started yet (e.g. hub_events).
    await this.#createTopics([...new Set(records.map((record) => record.topic))]);
    await this.#producer.send({
      messages: records.map(({ topic, key, value }) => ({
        topic: this.#options.namespace + topic,
        key,
        value: jsonOf(value),
      })),
    });
  }

  subscribe(group: string, topic: string, handler: BatchHandler): Subscription {
    const stopping = new AbortController();
    const consumer = new Consumer({
      groupId: this.#options.namespace + group,
      clientId: `${this.#options.clientId}-${group}`,
      bootstrapBrokers: this.#options.bootstrapServers,
      ...kafkaConnectionOptions(this.#options.security, this.#options.bootstrapServers),
      deserializers: { ...stringDeserializers, value: (data?: Buffer) => data as Buffer },
      sessionTimeout: SESSION_TIMEOUT_MS,
      heartbeatInterval: HEARTBEAT_INTERVAL_MS,
    });
    const log = this.#options.log.child({ group, topic });
    const done = this.#consume({ consumer, topic, handler, signal: stopping.signal, log }).catch((error: unknown) => {
      log.error({ err: error }, 'Kafka consumer stopped on an unexpected error');
    });
    const subscription: Subscription = {
      stop: async () => {
        this.#subscriptions.delete(subscription);
        stopping.abort();
        await done;
        await consumer.close(true).catch((error: unknown) => log.warn({ err: error }, 'closing the Kafka consumer failed'));
      },
    };
    this.#subscriptions.add(subscription);
    return subscription;
  }

  /** Consumes until stopped; a stream that fails (e.g. the broker went away) is opened again after a pause. */
  async #consume(subscription: ActiveSubscription): Promise<void> {
    const { signal, log } = subscription;
    for (let attempt = 1; !signal.aborted; attempt++) {
      try {
        await this.#consumeStream(subscription);
        attempt = 0;
      } catch (error) {
        log.warn({ err: error, attempt }, 'Kafka consumer stream failed; reopening it');
        await sleep(Math.min(250 * 2 ** attempt, 5_000));
      }
    }
  }

  /** One stream: hands batches to the handler in order and commits each batch after the handler succeeded. */
  async #consumeStream({ consumer, topic, handler, signal, log }: ActiveSubscription): Promise<void> {
    const stream = await consumer.consume({
      topics: [this.#options.namespace + topic],
      autocommit: false,
      mode: 'committed',
      fallbackMode: 'earliest',
    });
    const queue: KafkaMessage[] = [];
    let failure: unknown;
    let wake: (() => void) | undefined;
    const poke = () => wake?.();
    stream.on('data', (message: KafkaMessage) => {
      queue.push(message);
      if (queue.length >= PREFETCH) stream.pause();
      poke();
    });
    stream.on('error', (error: unknown) => {
      failure = error;
      poke();
    });
    stream.on('close', poke);
    signal.addEventListener('abort', poke, { once: true });
    try {
      let failures = 0;
      while (!signal.aborted) {
        if (queue.length === 0) {
          if (failure !== undefined || stream.closed) throw failure ?? new Error('the Kafka stream closed');
          await new Promise<void>((resolve) => (wake = resolve));
          continue;
        }
        if (queue.length < BATCH_SIZE) await sleep(this.#options.lingerMs);
        const batch = queue.slice(0, BATCH_SIZE);
        try {
          await handler(batch.map((message) => ({ ...toConsumedRecord(message), topic })));
          failures = 0;
        } catch (error) {
          failures++;
          log.error({ err: error, records: batch.length }, 'batch failed; it will be handled again');
          await sleep(Math.min(100 * 2 ** failures, 5_000));
          continue;
        }
        // A commit refused (e.g. the partitions moved in a rebalance) fails the stream: the reopened one
        // starts from the committed offsets, and the handlers ignore what they already did.
        await commit(batch);
        queue.splice(0, batch.length);
        if (stream.isPaused() && queue.length < PREFETCH / 2) stream.resume();
      }
    } finally {
      signal.removeEventListener('abort', poke);
      await stream.close().catch(() => {});
    }
  }

  async close(): Promise<void> {
    this.#closing.abort();
    await Promise.all([...this.#subscriptions].map((subscription) => subscription.stop()));
    await this.#producer.close();
  }
}

/** Whether a failed topic creation failed only because the topics exist (Kafka error 36). */
function alreadyExists(error: unknown): boolean {
  const { errors, apiId, message } = (error ?? {}) as { errors?: unknown; apiId?: string; message?: string };
  // The client nests protocol errors in `errors`, as an array or as an object keyed by response path.
  const causes = errors && typeof errors === 'object' ? Object.values(errors) : [];
  if (causes.length > 0) return causes.every(alreadyExists);
  return apiId === 'TOPIC_ALREADY_EXISTS' || /already exists/i.test(message ?? '');
}

function toConsumedRecord(message: KafkaMessage): ConsumedRecord {
  return {
    topic: message.topic,
    partition: message.partition,
    offset: String(message.offset),
    // Every record the hub writes has a key; one written by something else may not.
    key: (message.key as string | undefined) ?? '',
    value: readValue(message.value as Buffer | undefined),
  };
}

/**
 * The record's value parsed, or, when it is not JSON (a record the hub did not write), an UnreadableValue for the
 * handler to set aside: failing here would fail the batch, and the same record would be read again forever.
 */
function readValue(bytes: Buffer | undefined): unknown {
  if (bytes === undefined || bytes.length === 0) return new UnreadableValue('no value', bytes);
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    return new UnreadableValue(`not JSON: ${(error as Error).message}`, bytes);
  }
}

/** Commits, per partition, the offset after the last message of the batch. */
async function commit(batch: readonly KafkaMessage[]): Promise<void> {
  const last = new Map<string, KafkaMessage>();
  for (const message of batch) last.set(`${message.topic}:${message.partition}`, message);
  await Promise.all([...last.values()].map((message) => message.commit()));
}
