import { hostname } from 'node:os';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { BcryptHasher } from './adapters/bcrypt/bcrypt-hasher.ts';
import { openPgliteDatabase } from './adapters/sql/pglite/pglite-database.ts';
import { openSqlStore } from './adapters/sql/sql-store.ts';
import { SqlBus } from './adapters/sql-bus/sql-bus.ts';
import { Wakeup } from './adapters/wakeup.ts';
import { Authenticate } from './app/authenticate.ts';
import { Conversations } from './app/conversations.ts';
import { ReadMessages } from './app/read-messages.ts';
import { RegisterUser } from './app/register-user.ts';
import { SendMessage } from './app/send-message.ts';
import { TokenCodec } from './app/token-codec.ts';
import { UserDirectory } from './app/user-directory.ts';
import { createChannels } from './channels/registry.ts';
import type { Config } from './config.ts';
import type { ChannelConnector } from './ports/channel-connector.ts';
import type { MessageBus } from './ports/message-bus.ts';
import type { Store } from './ports/store.ts';

/** Everything a role needs, wired from config: the adapters and the use cases built on them. */
export interface Hub {
  config: Config;
  log: Logger;
  mode: string;
  store: Store;
  bus: MessageBus;
  channels: Map<string, ChannelConnector>;
  tokens: TokenCodec;
  registerUser: RegisterUser;
  authenticate: Authenticate;
  directory: UserDirectory;
  conversations: Conversations;
  sendMessage: SendMessage;
  readMessages: ReadMessages;
  close(): Promise<void>;
}

/** The composition root: picks adapters from config and builds the use cases on their ports. */
export async function openHub(config: Config, log: Logger): Promise<Hub> {
  const holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const loop = { holder, pollIntervalMs: config.pollIntervalMs, leaseTtlMs: config.leaseTtlMs, lingerMs: config.lingerMs };
  const database = await openPgliteDatabase(config.dataDir);
  const mode = `embedded (PGlite in ${config.dataDir})`;
  const store = await openSqlStore(database, {
    loop,
    outboxPartitions: config.outboxPartitions,
    outboxWakeup: new Wakeup(),
    log: log.child({ component: 'outbox' }),
  }).catch(async (error: unknown) => {
    await database.close();
    throw error;
  });
  const bus = new SqlBus(database.db, {
    ...loop,
    partitions: config.busPartitions,
    log: log.child({ component: 'bus' }),
  });

  const secret = config.tokenSecret ?? (await store.settings.getOrInit('token_secret', randomBytes(32).toString('base64url')));
  const tokens = new TokenCodec(secret, config.tokenTtlSeconds);
  const hasher = new BcryptHasher(config.bcryptRounds);
  const conversations = new Conversations(store.conversations, store.users);
  return {
    config,
    log,
    mode,
    store,
    bus,
    channels: createChannels({ failureRates: config.mockFailureRates, latencyMs: config.mockLatencyMs }),
    tokens,
    registerUser: new RegisterUser(store.users, hasher),
    authenticate: new Authenticate(store.users, hasher, tokens),
    directory: new UserDirectory(store.users),
    conversations,
    sendMessage: new SendMessage(store.messages, store.files, conversations),
    readMessages: new ReadMessages(store.messages, conversations),
    async close() {
      await bus.close();
      await store.close();
    },
  };
}
