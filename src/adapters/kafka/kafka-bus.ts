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
import type { Logger } from '../../ports/logger.ts';
import type { BatchHandler, BusRecord, ConsumedRecord, MessageBus, Subscription } from '../../ports/message-bus.ts';

export interface KafkaBusOptions {
  bootstrapServers: string[];
  clientId: string;
  /** Partitions of each topic the hub creates. */
  partitions: number;
  /** How long to let a partial batch fill before handling it. */
  lingerMs: number;
  /** Prepended to every topic and consumer group, so deployments can share a cluster. */
  namespace: string;
  log: Logger;
}

type KafkaMessage = Message<string, string, string, string>;

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

  constructor(options: KafkaBusOptions) {
    this.#options = options;
    this.#producer = new Producer({
      clientId: `${options.clientId}-producer`,
      bootstrapBrokers: options.bootstrapServers,
      serializers: stringSerializers,
      idempotent: true,
      acks: ProduceAcks.ALL,
      autocreateTopics: false,
    });
  }

  async ensureTopics(topics: readonly string[]): Promise<void> {
    const admin = new Admin({ clientId: `${this.#options.clientId}-admin`, bootstrapBrokers: this.#options.bootstrapServers });
    try {
      const existing = new Set(await admin.listTopics());
      const missing = topics.map((topic) => this.#options.namespace + topic).filter((topic) => !existing.has(topic));
      if (missing.length === 0) return;
      await admin.createTopics({ topics: missing, partitions: this.#options.partitions, replicas: 1 }).catch((error: unknown) => {
        // Another process may have created them between the listing and now.
        if (!/already exists/i.test(String((error as Error)?.message) + JSON.stringify(error))) throw error;
      });
      this.#options.log.info({ topics: missing, partitions: this.#options.partitions }, 'created Kafka topics');
    } finally {
      await admin.close();
    }
  }

  async ping(): Promise<void> {
    await this.#producer.metadata({ topics: [] });
  }

  async publish(records: readonly BusRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.#producer.send({
      messages: records.map(({ topic, key, value }) => ({
        topic: this.#options.namespace + topic,
        key,
        value: JSON.stringify(value),
      })),
    });
  }

  subscribe(group: string, topic: string, handler: BatchHandler): Subscription {
    const stopping = new AbortController();
    const consumer = new Consumer({
      groupId: this.#options.namespace + group,
      clientId: `${this.#options.clientId}-${group}`,
      bootstrapBrokers: this.#options.bootstrapServers,
      deserializers: stringDeserializers,
      sessionTimeout: SESSION_TIMEOUT_MS,
      heartbeatInterval: HEARTBEAT_INTERVAL_MS,
    });
    const log = this.#options.log.child({ group, topic });
    const done = this.#consume(consumer, topic, handler, stopping.signal, log).catch((error: unknown) => {
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

  async #consume(
    consumer: Consumer<string, string, string, string>,
    topic: string,
    handler: BatchHandler,
    signal: AbortSignal,
    log: Logger,
  ): Promise<void> {
    const stream = await consumer.consume({
      topics: [this.#options.namespace + topic],
      autocommit: false,
      mode: 'committed',
      fallbackMode: 'earliest',
    });
    const queue: KafkaMessage[] = [];
    let wake: (() => void) | undefined;
    stream.on('data', (message: KafkaMessage) => {
      queue.push(message);
      if (queue.length >= PREFETCH) stream.pause();
      wake?.();
    });
    stream.on('error', (error: unknown) => log.warn({ err: error }, 'Kafka stream error; the client reconnects'));
    signal.addEventListener('abort', () => wake?.(), { once: true });
    let failures = 0;
    while (!signal.aborted) {
      if (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      if (signal.aborted) break;
      if (queue.length < BATCH_SIZE) await sleep(this.#options.lingerMs);
      const batch = queue.slice(0, BATCH_SIZE);
      try {
        await handler(batch.map((message) => ({ ...toConsumedRecord(message), topic })));
        await commit(batch);
        queue.splice(0, batch.length);
        if (stream.isPaused() && queue.length < PREFETCH / 2) stream.resume();
        failures = 0;
      } catch (error) {
        failures++;
        log.error({ err: error, records: batch.length }, 'batch failed; it will be handled again');
        await sleep(Math.min(100 * 2 ** failures, 5_000));
      }
    }
    await stream.close();
  }

  async close(): Promise<void> {
    await Promise.all([...this.#subscriptions].map((subscription) => subscription.stop()));
    await this.#producer.close();
  }
}

function toConsumedRecord(message: KafkaMessage): ConsumedRecord {
  return {
    topic: message.topic,
    partition: message.partition,
    offset: String(message.offset),
    key: message.key,
    value: JSON.parse(message.value),
  };
}

/** Commits, per partition, the offset after the last message of the batch. */
async function commit(batch: readonly KafkaMessage[]): Promise<void> {
  const last = new Map<string, KafkaMessage>();
  for (const message of batch) last.set(`${message.topic}:${message.partition}`, message);
  await Promise.all([...last.values()].map((message) => message.commit()));
}
