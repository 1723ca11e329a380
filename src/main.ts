import { hostname } from 'node:os';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { BcryptHasher } from './adapters/bcrypt/bcrypt-hasher.ts';
import { DiskBlobStorage } from './adapters/disk/disk-blob-storage.ts';
import { FetchWebhookSender } from './adapters/http/fetch-webhook-sender.ts';
import { pingKafka } from './adapters/kafka/kafka-probe.ts';
import type { LoopSettings } from './adapters/sql/partition-loop.ts';
import type { SqlDatabase } from './adapters/sql/sql-database.ts';
import { isDatabaseUnavailable, isPermanentDataError } from './adapters/sql/sql-errors.ts';
import { openSqlStore } from './adapters/sql/sql-store.ts';
import { TopicWakeups, Wakeup } from './adapters/wakeup.ts';
import { Authenticate } from './app/authenticate.ts';
import { ChunkUrlSigner } from './app/chunk-url-signer.ts';
import { CleanupUploads } from './app/cleanup-uploads.ts';
import { CompleteUpload } from './app/complete-upload.ts';
import { DisableDemoUsers } from './app/disable-demo-users.ts';
import { FileAvailability } from './app/file-availability.ts';
import { FileDownloads } from './app/file-downloads.ts';
import { FileUploads } from './app/file-uploads.ts';
import { Conversations } from './app/conversations.ts';
import { Identities } from './app/identities.ts';
import { RecordChannelEvents } from './app/record-channel-events.ts';
import { ReadMessages } from './app/read-messages.ts';
import { ReadReceipts } from './app/read-receipts.ts';
import { ReceiveChannelWebhook } from './app/receive-channel-webhook.ts';
import { RegisterUser } from './app/register-user.ts';
import { SendMessage } from './app/send-message.ts';
import { TokenCodec } from './app/token-codec.ts';
import { UserDirectory } from './app/user-directory.ts';
import { Webhooks } from './app/webhooks.ts';
import { createChannels } from './channels/registry.ts';
import type { Config, StorageConfig } from './config.ts';
import type { BlobStorage } from './ports/blob-storage.ts';
import type { ChannelConnector } from './ports/channel-connector.ts';
import type { MessageBus } from './ports/message-bus.ts';
import type { Store } from './ports/store.ts';
import type { WebhookSender } from './ports/webhook-sender.ts';

/** Everything a role needs, wired from config: the adapters and the use cases built on them. */
export interface Hub {
  config: Config;
  log: Logger;
  mode: string;
  store: Store;
  /** The bus, connected on the first call: a process that runs only the API never loads a bus client. */
  openBus(): Promise<MessageBus>;
  /** Resolves when the bus answers; for readiness. */
  pingBus(): Promise<void>;
  channels: Map<string, ChannelConnector>;
  tokens: TokenCodec;
  registerUser: RegisterUser;
  disableDemoUsers: DisableDemoUsers;
  authenticate: Authenticate;
  directory: UserDirectory;
  conversations: Conversations;
  channelEvents: RecordChannelEvents;
  identities: Identities;
  receiveChannelWebhook: ReceiveChannelWebhook;
  sendMessage: SendMessage;
  readMessages: ReadMessages;
  readReceipts: ReadReceipts;
  storage: BlobStorage;
  fileUploads: FileUploads;
  completeUpload: CompleteUpload;
  fileDownloads: FileDownloads;
  fileAvailability: FileAvailability;
  cleanupUploads: CleanupUploads;
  webhooks: Webhooks;
  webhookSender: WebhookSender;
  /** Whether an error means the database is unreachable (the API answers 503 and the caller retries). */
  isUnavailable(error: unknown): boolean;
  /** Whether a consumer's batch failed for a reason trying again cannot cure (the record's data is wrong). */
  isPermanent(error: unknown): boolean;
  close(): Promise<void>;
}

/** The composition root: picks adapters from config and builds the use cases on their ports. */
export async function openHub(config: Config, log: Logger, print: (line: string) => void): Promise<Hub> {
  const holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const loop = { holder, pollIntervalMs: config.pollIntervalMs, leaseTtlMs: config.leaseTtlMs, lingerMs: config.lingerMs };
  const database = await openDatabase(config, log);
  const wakeups = new TopicWakeups();
  const store = await openSqlStore(database, {
    loop,
    outboxPartitions: config.outboxPartitions,
    outboxWakeup: new Wakeup(),
    // Without Kafka the bus is in this database: writers append to its log in their own transactions.
    ...(config.kafkaBootstrapServers ? {} : { busOnDatabase: { partitions: config.busPartitions, wake: (topic: string) => wakeups.of(topic).notify() } }),
    log: log.child({ component: 'outbox' }),
  }).catch(async (error: unknown) => {
    await database.close();
    throw error;
  });
  let bus: Promise<MessageBus> | undefined;
  const closeBus = async () => (await bus?.catch(() => undefined))?.close();
  const { kafkaBootstrapServers } = config;
  const storage = await openStorage(config.storage);
  await storage.prepare().catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  const mode = [
    config.databaseUrl ? `PostgreSQL at ${redact(config.databaseUrl)}` : `embedded PGlite in ${config.dataDir}`,
    config.kafkaBootstrapServers ? `Kafka at ${config.kafkaBootstrapServers.join(',')}` : 'bus on the database',
    config.storage.kind === 's3' ? `files in S3 bucket ${config.storage.bucket} at ${config.storage.endpoint}` : `files in ${config.storage.dir}`,
  ].join(', ');

  // Unset, the secret is 32 random bytes generated once and shared through the database by every process on it.
  const secret = config.tokenSecret ?? (await store.settings.getOrInit('token_secret', randomBytes(32).toString('base64url')));
  const previousSecrets = config.tokenPreviousSecrets;
  const tokens = new TokenCodec(secret, config.tokenTtlSeconds, previousSecrets);
  const hasher = new BcryptHasher(config.bcryptRounds);
  const conversations = new Conversations(store.conversations, store.users);
  const channelEvents = new RecordChannelEvents(store.ledger);
  const simulation = {
    failureRates: config.mockFailureRates,
    latencyMs: config.mockLatencyMs,
    deliveredAfterMs: config.mockDeliveredAfterMs,
    readAfterMs: config.mockReadAfterMs,
    webhookSecrets: config.channelWebhookSecrets,
  };
  const channels = createChannels(config.channels, simulation, {
    report: (channel, reports) => channelEvents.record(channel, reports),
    print,
  });
  const sendMessage = new SendMessage(store.messages, store.files, conversations);
  const urlTtlMs = config.uploadUrlTtlSeconds * 1000;
  return {
    config,
    log,
    mode,
    store,
    openBus: () => (bus ??= openBus(config, database, loop, wakeups, log.child({ component: 'bus' }))),
    pingBus: kafkaBootstrapServers ? () => pingKafka(kafkaBootstrapServers, KAFKA_PING_TIMEOUT_MS) : () => store.ping(),
    channels,
    channelEvents,
    identities: new Identities(store.identities, [...channels.keys()]),
    tokens,
    registerUser: new RegisterUser(store.users, hasher),
    disableDemoUsers: new DisableDemoUsers(store.users, hasher),
    authenticate: new Authenticate(store.users, hasher, tokens),
    directory: new UserDirectory(store.users),
    conversations,
    sendMessage,
    receiveChannelWebhook: new ReceiveChannelWebhook({
      channels,
      channelEvents,
      identities: store.identities,
      conversationStore: store.conversations,
      conversations,
      sendMessage,
    }),
    readMessages: new ReadMessages(store.messages, conversations),
    readReceipts: new ReadReceipts(store.ledger, conversations),
    storage,
    fileUploads: new FileUploads(store.files, storage, new ChunkUrlSigner(secret, previousSecrets), { chunkSize: config.fileChunkSize, urlTtlMs }),
    completeUpload: new CompleteUpload(store.files, storage),
    fileDownloads: new FileDownloads(store.files, storage, DOWNLOAD_URL_TTL_MS),
    fileAvailability: new FileAvailability(store.files, storage),
    cleanupUploads: new CleanupUploads(store.files, storage, config.uploadMaxAgeSeconds * 1000, log.child({ role: 'cleanup' })),
    webhooks: new Webhooks(store.webhooks),
    webhookSender: new FetchWebhookSender(),
    isUnavailable: isDatabaseUnavailable,
    isPermanent: isPermanentDataError,
    async close() {
      await closeBus();
      await store.close();
    },
  };
}

/** Download URLs are handed out right before the client follows them: a few minutes is plenty. */
const DOWNLOAD_URL_TTL_MS = 5 * 60_000;
/** Within /ready's own two seconds. */
const KAFKA_PING_TIMEOUT_MS = 1_500;

/**
 * Each mode loads only the adapters it uses: a module's code stays in memory for the life of the process, and
 * the API's memory is budgeted (@platformatic/kafka alone costs some 55 MB, pg 9 MB, the AWS SDK 30-40 MB).
 */
async function openDatabase(config: Config, log: Logger): Promise<SqlDatabase> {
  if (!config.databaseUrl) return (await import('./adapters/sql/pglite/pglite-database.ts')).openPgliteDatabase(config.dataDir);
  const { openPostgresDatabase } = await import('./adapters/sql/postgres/postgres-database.ts');
  return openPostgresDatabase({ url: config.databaseUrl, poolSize: config.databasePoolSize, log: log.child({ component: 'postgres' }) });
}

async function openBus(config: Config, database: SqlDatabase, loop: LoopSettings, wakeups: TopicWakeups, log: Logger): Promise<MessageBus> {
  if (!config.kafkaBootstrapServers) {
    const { SqlBus } = await import('./adapters/sql-bus/sql-bus.ts');
    return new SqlBus(database.db, { ...loop, partitions: config.busPartitions, exclusive: database.exclusive, wakeups, log });
  }
  const { KafkaBus } = await import('./adapters/kafka/kafka-bus.ts');
  return new KafkaBus({
    bootstrapServers: config.kafkaBootstrapServers,
    clientId: `chat4all-${loop.holder}`.replace(/[^A-Za-z0-9._-]/g, '-'),
    partitions: config.busPartitions,
    lingerMs: config.lingerMs,
    namespace: config.kafkaNamespace,
    log,
  });
}

async function openStorage(config: StorageConfig): Promise<BlobStorage> {
  if (config.kind === 'disk') return new DiskBlobStorage(config.dir);
  const { S3BlobStorage } = await import('./adapters/s3/s3-blob-storage.ts');
  return new S3BlobStorage(config);
}

/** A connection string without its password, for banners and logs. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the configured DATABASE_URL';
  }
}
