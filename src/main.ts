import { hostname } from 'node:os';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { BcryptHasher } from './adapters/bcrypt/bcrypt-hasher.ts';
import { MemoryRateLimitStore } from './adapters/memory/memory-rate-limit-store.ts';
import { DiskBlobStorage } from './adapters/disk/disk-blob-storage.ts';
import { SystemHostResolver } from './adapters/dns/system-host-resolver.ts';
import { FetchWebhookSender } from './adapters/http/fetch-webhook-sender.ts';
import { pingKafka } from './adapters/kafka/kafka-probe.ts';
import type { LoopSettings } from './adapters/sql/partition-loop.ts';
import type { SqlDatabase } from './adapters/sql/sql-database.ts';
import { isDatabaseUnavailable, isPermanentDataError } from './adapters/sql/sql-errors.ts';
import { openSqlStore } from './adapters/sql/sql-store.ts';
import { StatementCounter } from './adapters/sql/statement-counter.ts';
import { noteStreamed } from './adapters/streamed-garbage.ts';
import { TopicWakeups, Wakeup } from './adapters/wakeup.ts';
import { Authenticate } from './app/authenticate.ts';
import { ClientCredentials } from './app/client-credentials.ts';
import { Clients } from './app/clients.ts';
import { ChunkUrlSigner } from './app/chunk-url-signer.ts';
import { CleanupUploads } from './app/cleanup-uploads.ts';
import { CompleteUpload } from './app/complete-upload.ts';
import { CircuitBreaker } from './app/circuit-breaker.ts';
import { DeliverMessages } from './app/deliver-messages.ts';
import { WebhookDispatcher } from './app/dispatch-webhooks.ts';
import { FanOutEvents } from './app/fan-out-events.ts';
import { DisableDemoUsers } from './app/disable-demo-users.ts';
import { FileAvailability } from './app/file-availability.ts';
import { FileDownloads } from './app/file-downloads.ts';
import { FileUploads } from './app/file-uploads.ts';
import { HashingQueue } from './app/hashing-queue.ts';
import { Conversations } from './app/conversations.ts';
import { Identities } from './app/identities.ts';
import { IdempotentRequests } from './app/idempotent-requests.ts';
import { RecordChannelEvents } from './app/record-channel-events.ts';
import { RateLimiter, rateLimitPolicies } from './app/rate-limiter.ts';
import { ReadMessages } from './app/read-messages.ts';
import { ReadReceipts } from './app/read-receipts.ts';
import { ReceiveChannelWebhook } from './app/receive-channel-webhook.ts';
import { RegisterUser } from './app/register-user.ts';
import { ReplayDeadLetters } from './app/replay-dead-letters.ts';
import { RevokedSessions } from './app/revoked-sessions.ts';
import { RouteMessages } from './app/route-messages.ts';
import { SendMessage } from './app/send-message.ts';
import { SendVerificationCodes } from './app/send-verification-codes.ts';
import { Sessions } from './app/sessions.ts';
import { TokenCodec } from './app/token-codec.ts';
import { UnprocessableRecords, type RejectingHandler } from './app/unprocessable-records.ts';
import { UserAdmin } from './app/user-admin.ts';
import { UserDirectory } from './app/user-directory.ts';
import { WebhookDestinationPolicy } from './app/webhook-destination-policy.ts';
import { Webhooks } from './app/webhooks.ts';
import { createChannels } from './channels/registry.ts';
import type { Config, StorageConfig } from './config.ts';
import { MAX_RETRY_DELAY_MS } from './domain/webhook-retry.ts';
import type { HttpServices } from './http/server.ts';
import type { BlobStorage } from './ports/blob-storage.ts';
import type { MessageBus } from './ports/message-bus.ts';
import type { RateLimitStore } from './ports/rate-limit-store.ts';
import { redactedUrl } from './redacted-url.ts';
import { startApi } from './roles/api-role.ts';
import { startCleanup } from './roles/cleanup-role.ts';
import { startConnector } from './roles/connector-role.ts';
import { startNotifier } from './roles/notifier-role.ts';
import { startRelay } from './roles/relay-role.ts';
import { startReplay, type RunningReplay } from './roles/replay-role.ts';
import type { Consumer, RunningRole } from './roles/role.ts';
import { startRouter } from './roles/router-role.ts';
import { startWebhooks } from './roles/webhook-role.ts';

/** The roles a process can run; `connector:<channel>` one channel's connector. */
export type RoleName = 'api' | 'relay' | 'router' | 'notifier' | 'webhooks' | 'cleanup' | `connector:${string}`;

/** The hub as the command line sees it: roles to start, the user commands, and closing. */
export interface Hub {
  /** What it runs on, for the banner. */
  mode: string;
  log: Logger;
  /** The channels this deployment runs, in order. */
  channels: readonly string[];
  /** Starts a role, giving it what it uses and nothing else. */
  start(role: RoleName): Promise<RunningRole>;
  /** Starts the one-off dead-letter replay of a channel. */
  replay(channel: string): Promise<RunningReplay>;
  registerUser: RegisterUser;
  disableDemoUsers: DisableDemoUsers;
  userAdmin: UserAdmin;
  clients: Clients;
  /** Closes the bus and the store; logs the SQL statements each role ran. */
  close(): Promise<void>;
}

/**
 * The composition root: picks adapters from config, builds every use case on their ports, and starts each role
 * with the few of them it uses.
 */
export async function openHub(config: Config, log: Logger, print: (line: string) => void): Promise<Hub> {
  const holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const loop = { holder, pollIntervalMs: config.pollIntervalMs, leaseTtlMs: config.leaseTtlMs, lingerMs: config.lingerMs };
  const statements = new StatementCounter();
  const opened = await openDatabase(config, log);
  const database = { ...opened, db: opened.db.withPlugin(statements) };
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
  const openBusOnce = () => (bus ??= openBus(config, database, loop, wakeups, log.child({ component: 'bus' })));
  const { kafkaBootstrapServers } = config;
  const storage = await openStorage(config.storage);
  await storage.prepare().catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  const mode = [
    config.databaseUrl ? `PostgreSQL at ${redactedUrl(config.databaseUrl)}` : `embedded PGlite in ${config.dataDir}`,
    config.kafkaBootstrapServers ? `Kafka at ${config.kafkaBootstrapServers.join(',')}` : 'bus on the database',
    config.storage.kind === 's3' ? `files in S3 bucket ${config.storage.bucket} at ${config.storage.endpoint}` : `files in ${config.storage.dir}`,
    ...(config.redis ? [`rate-limit counters in Redis at ${redactedUrl(config.redis.url)}`] : []),
  ].join(', ');

  // Unset, the secret is 32 random bytes generated once and shared through the database by every process on it.
  const secret = config.tokenSecret ?? (await store.settings.getOrInit('token_secret', randomBytes(32).toString('base64url')));
  const previousSecrets = config.tokenPreviousSecrets;
  // Not derived from the token secret: rotating that must not rename inbound messages a provider may still retry.
  const inboundIdKey = await store.settings.getOrInit('inbound_message_id_key', randomBytes(32).toString('base64url'));
  // Its own key too: rotating the token secret must not void the codes of claims under way.
  const identityCodeKey = await store.settings.getOrInit('identity_code_key', randomBytes(32).toString('base64url'));
  // Keys the fingerprints of requests sent with an Idempotency-Key, which may hold a password (admin: new user).
  const fingerprintKey = await store.settings.getOrInit('idempotency_fingerprint_key', randomBytes(32).toString('base64url'));
  const tokens = new TokenCodec(secret, config.tokenTtlSeconds, previousSecrets);
  const hasher = new BcryptHasher(config.bcryptRounds);
  const revoked = new RevokedSessions(store.sessions, log.child({ component: 'revocations' }));
  const sessions = new Sessions(store.sessions, tokens, revoked, config.refreshTokenTtlSeconds);
  const registerUser = new RegisterUser(store.users, hasher);
  // Passwords hashed on the request path (logins, the admin API's new users) wait in one bounded queue.
  const requestHasher = new HashingQueue(hasher, config.loginHashing);
  const conversations = new Conversations(store.conversations, store.users);
  const channelEvents = new RecordChannelEvents(store.ledger);
  const simulation = {
    failureRates: config.mockFailureRates,
    latencyMs: config.mockLatencyMs,
    deliveredAfterMs: config.mockDeliveredAfterMs,
    readAfterMs: config.mockReadAfterMs,
    webhookSecrets: config.channelWebhookSecrets,
    webhookToleranceSeconds: config.channelWebhookToleranceSeconds,
  };
  const channels = createChannels(config.channels, simulation, {
    report: (channel, reports) => channelEvents.record(channel, reports),
    print,
  });
  const channelNames = [...channels.keys()];
  const sendMessage = new SendMessage(store.messages, store.files, conversations);
  const urlTtlMs = config.uploadUrlTtlSeconds * 1000;
  const fileAvailability = new FileAvailability(store.files, storage);
  const webhookDestinations = new WebhookDestinationPolicy(new SystemHostResolver(), { allowNonPublic: config.webhookAllowPrivateAddresses });

  const httpServices: Omit<HttpServices, 'liveEvents' | 'rateLimits'> = {
    authenticate: new Authenticate(store.users, requestHasher, sessions),
    clientCredentials: new ClientCredentials(store.clients, sessions),
    sessions,
    userAdmin: new UserAdmin(store.users, new RegisterUser(store.users, requestHasher), revoked),
    directory: new UserDirectory(store.users),
    conversations,
    sendMessage,
    readMessages: new ReadMessages(store.messages, conversations),
    readReceipts: new ReadReceipts(store.ledger, conversations),
    webhooks: new Webhooks(store.webhooks, webhookDestinations),
    idempotentRequests: new IdempotentRequests(store.idempotencyKeys, { ttlMs: config.idempotencyKeyTtlHours * 3_600_000, fingerprintKey }),
    identities: new Identities(store.identities, channelNames, { policy: config.identityClaims, codeKey: identityCodeKey }),
    receiveChannelWebhook: new ReceiveChannelWebhook({
      channels,
      channelEvents,
      identities: store.identities,
      conversationStore: store.conversations,
      conversations,
      sendMessage,
      inboundIdKey,
    }),
    wsHeartbeatMs: config.wsHeartbeatMs,
    fileUploads: new FileUploads(store.files, storage, new ChunkUrlSigner(secret, previousSecrets), {
      chunkSize: config.fileChunkSize,
      urlTtlMs,
      quota: config.uploadQuota,
      chunkConcurrency: config.chunkConcurrency,
      onStreamed: noteStreamed,
    }),
    completeUpload: new CompleteUpload(store.files, storage),
    fileDownloads: new FileDownloads(store.files, storage, DOWNLOAD_URL_TTL_MS),
    channels: channelNames,
    publicBaseUrl: config.publicBaseUrl,
    trustProxy: config.trustProxy,
    corsOrigins: config.corsOrigins,
    readiness: [
      { name: 'database', check: () => store.ping(), critical: true },
      // Accepted messages wait in the outbox while the bus is down.
      { name: 'bus', check: kafkaBootstrapServers ? () => pingKafka(kafkaBootstrapServers, KAFKA_PING_TIMEOUT_MS, config.kafkaSecurity.tls) : () => store.ping(), critical: false },
      // Without storage only files fail; a HEAD of an object that never exists is the cheapest round trip.
      { name: 'storage', check: async () => void (await storage.size('readiness-probe')), critical: false },
    ],
    isUnavailable: isDatabaseUnavailable,
  };

  /** Every consumer group's guard, to log what each set aside when the process stops. */
  const guards: UnprocessableRecords[] = [];
  /** A consumer role's bus, and the guard that sets aside the records its handler cannot apply. */
  const consumer = (role: string): Consumer & { log: Logger } => {
    const roleLog = log.child({ role });
    return {
      openBus: openBusOnce,
      guard: (group: string, handler: RejectingHandler) => {
        const unprocessable = new UnprocessableRecords({
          group,
          append: (records) => store.outbox.append(records),
          isTransient: (error) => !isPermanentDataError(error),
          log: roleLog,
        });
        guards.push(unprocessable);
        return unprocessable.guard(handler);
      },
      log: roleLog,
    };
  };

  const connector = (channel: string) => {
    const plugin = channels.get(channel);
    if (!plugin) throw new Error(`unknown channel "${channel}"; registered channels: ${channelNames.join(', ')}`);
    const { log: roleLog, ...bus } = consumer('connector');
    const channelLog = roleLog.child({ channel });
    // Messages and verification codes go through one provider: one circuit breaker for both.
    const calls = {
      retry: config.connectorRetry,
      breaker: new CircuitBreaker({
        ...config.circuitBreaker,
        onOpen: (cooldownMs) => channelLog.warn({ cooldownMs }, `${plugin.displayName} keeps failing: circuit open, pausing sends`),
      }),
      displayName: plugin.displayName,
    };
    const deliver = new DeliverMessages({
      ledger: store.ledger,
      connector: plugin,
      calls,
      onFailed: (event, recipientId, reason) => channelLog.warn({ message_id: event.message_id, recipient_id: recipientId, reason }, 'delivery failed'),
    });
    const sendCodes = new SendVerificationCodes({
      connector: plugin,
      calls,
      onNotSent: (event, reason) => channelLog.warn({ user_id: event.user_id, reason }, 'verification code not sent'),
    });
    return startConnector({ ...bus, channel, displayName: plugin.displayName, deliver, sendCodes, log: channelLog });
  };

  const starters: Record<Exclude<RoleName, `connector:${string}`>, () => Promise<RunningRole>> = {
    api: async () => {
      const roleLog = log.child({ role: 'api' });
      const rateLimits = await openRateLimits(config, roleLog.child({ component: 'rate-limits' }));
      const readiness = [
        ...httpServices.readiness,
        // Without its counters the API lets requests through unchecked: degraded, not down.
        ...(config.redis && rateLimits ? [{ name: 'rate_limits', check: () => rateLimits.limiter.ping(), critical: false }] : []),
      ];
      const role = await startApi({
        services: { ...httpServices, readiness, rateLimits },
        feeds: store.userEvents,
        revoked,
        // Alone on its database (embedded), every revocation is this process's own: nothing to poll for.
        revocationPollMs: database.exclusive ? 0 : config.revocationPollMs,
        host: config.host,
        port: config.port,
        print,
        log: roleLog,
      }).catch(async (error: unknown) => {
        await rateLimits?.limiter.close();
        throw error;
      });
      return {
        ...role,
        stop: async () => {
          await role.stop();
          await rateLimits?.limiter.close();
        },
      };
    },
    relay: () => startRelay({ outbox: store.outbox, openBus: openBusOnce, log: log.child({ role: 'relay' }) }),
    router: () => {
      const role = consumer('router');
      const router = new RouteMessages(store.ledger, channelNames, fileAvailability, {
        routed: (message, routed) =>
          role.log.info({ message_id: message.messageId, channels: routed }, `Routing message ${message.messageId} to ${routed.join(', ')}`),
        fileMissing: (message, fileId, reason) =>
          role.log.warn({ message_id: message.messageId, file_id: fileId, reason }, `Message ${message.messageId} failed: ${reason}`),
      });
      return startRouter({ ...role, router, channels: channelNames });
    },
    notifier: () =>
      startNotifier({ ...consumer('notifier'), fanOut: new FanOutEvents(store.userEvents), feeds: store.userEvents, retentionHours: config.eventRetentionHours }),
    webhooks: () => {
      const roleLog = log.child({ role: 'webhooks' });
      const dispatcher = new WebhookDispatcher(
        store.webhookQueue,
        new FetchWebhookSender(webhookDestinations),
        {
          concurrency: config.webhookConcurrency,
          // Half the slots at most for one user and a quarter for one host: a user whose endpoints all hang leaves
          // half to everyone else, and one slow host of theirs leaves them room for their other endpoints.
          perUser: Math.ceil(config.webhookConcurrency / 2),
          perHost: Math.ceil(config.webhookConcurrency / 4),
          attemptTimeoutMs: config.webhookTimeoutMs,
          retry: { baseDelayMs: config.webhookBackoffBaseMs, maxDelayMs: MAX_RETRY_DELAY_MS, windowMs: config.webhookRetryWindowSeconds * 1000 },
        },
        roleLog,
      );
      return startWebhooks({ dispatcher, queue: store.webhookQueue, retentionHours: config.eventRetentionHours, log: roleLog });
    },
    cleanup: () => {
      const roleLog = log.child({ role: 'cleanup' });
      const cleanup = new CleanupUploads(store.files, storage, config.uploadMaxAgeSeconds * 1000, roleLog);
      return startCleanup({ cleanup, intervalSeconds: config.cleanupIntervalSeconds, maxAgeSeconds: config.uploadMaxAgeSeconds, log: roleLog });
    },
  };

  return {
    mode,
    log,
    channels: channelNames,
    start: (role) => statements.as(role, () => (role.startsWith('connector:') ? connector(role.slice('connector:'.length)) : starters[role as keyof typeof starters]())),
    replay: (channel) => {
      if (!channels.has(channel)) throw new Error(`unknown channel "${channel}"; registered channels: ${channelNames.join(', ')}`);
      return statements.as(`replay ${channel}`, () =>
        startReplay({ channel, replay: new ReplayDeadLetters(store.ledger, channel), outbox: store.outbox, openBus: openBusOnce, log: log.child({ role: 'replay', channel }) }),
      );
    },
    registerUser,
    disableDemoUsers: new DisableDemoUsers(store.users, hasher),
    userAdmin: new UserAdmin(store.users, registerUser, revoked),
    clients: new Clients(store.clients, store.users, revoked),
    async close() {
      for (const guard of guards) guard.logTotal();
      await (await bus?.catch(() => undefined))?.close();
      await store.close();
      log.info({ statements: statements.counts() }, 'SQL statements by role');
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
    security: config.kafkaSecurity,
    log,
  });
}

/** The limits in force and where their counters live: Redis when REDIS_URL is set, else this process's memory. */
async function openRateLimits(config: Config, log: Logger): Promise<HttpServices['rateLimits']> {
  const policies = rateLimitPolicies(config.rateLimits);
  if (Object.keys(policies).length === 0) return undefined;
  let store: RateLimitStore;
  if (config.redis) {
    const { RedisRateLimitStore } = await import('./adapters/redis/redis-rate-limit-store.ts');
    store = new RedisRateLimitStore({ ...config.redis, log });
  } else {
    store = new MemoryRateLimitStore();
  }
  return { limiter: new RateLimiter(store, log), policies };
}

async function openStorage(config: StorageConfig): Promise<BlobStorage> {
  if (config.kind === 'disk') return new DiskBlobStorage(config.dir);
  const { S3BlobStorage } = await import('./adapters/s3/s3-blob-storage.ts');
  return new S3BlobStorage(config);
}
