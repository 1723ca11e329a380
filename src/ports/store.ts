import type { ClientStore } from './client-store.ts';
import type { ConversationStore } from './conversation-store.ts';
import type { MessageStore } from './message-store.ts';
import type { FileCatalog } from './file-catalog.ts';
import type { IdempotencyStore } from './idempotency-store.ts';
import type { IdentityStore } from './identity-store.ts';
import type { LedgerStore } from './ledger-store.ts';
import type { Outbox } from './outbox.ts';
import type { SessionStore } from './session-store.ts';
import type { SettingsStore } from './settings-store.ts';
import type { UserEventStore } from './user-event-store.ts';
import type { UserStore } from './user-store.ts';
import type { WebhookQueue } from './webhook-queue.ts';
import type { WebhookStore } from './webhook-store.ts';

/** The database, seen by the use cases as a few repositories. */
export interface Store {
  users: UserStore;
  sessions: SessionStore;
  clients: ClientStore;
  conversations: ConversationStore;
  messages: MessageStore;
  ledger: LedgerStore;
  settings: SettingsStore;
  userEvents: UserEventStore;
  outbox: Outbox;
  identities: IdentityStore;
  files: FileCatalog;
  webhooks: WebhookStore;
  webhookQueue: WebhookQueue;
  idempotencyKeys: IdempotencyStore;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
