import { randomUUID } from 'node:crypto';
import { DomainError, ErrorCodes, validationError } from '../domain/errors.ts';
import { isUuid } from '../domain/ids.ts';
import { clientScopes } from '../domain/scopes.ts';
import type { Client, ClientStore } from '../ports/client-store.ts';
import type { UserStore } from '../ports/user-store.ts';
import { newSecret, secretHash } from './opaque-secrets.ts';
import type { RevokedSessions } from './revoked-sessions.ts';

/** Client secrets say what they are, so a leaked one is recognised. */
const CLIENT_SECRET_PREFIX = 'c4s_';
const MAX_NAME_LENGTH = 100;

/**
 * Server-to-server clients, managed by operators (the CLI). Users cannot make their own: a client with the chat
 * scope is as good as its user's password, and admin must never be granted by the one who gets it.
 */
export class Clients {
  readonly #clients: ClientStore;
  readonly #users: UserStore;
  readonly #revoked: RevokedSessions;

  constructor(clients: ClientStore, users: UserStore, revoked: RevokedSessions) {
    this.#clients = clients;
    this.#users = users;
    this.#revoked = revoked;
  }

  /** Creates a client; the secret is in the answer only, never stored. */
  async add(request: { name: string; scopes: readonly string[]; username?: string }): Promise<{ client: Client; secret: string }> {
    const name = request.name.trim();
    if (name.length === 0 || name.length > MAX_NAME_LENGTH) throw validationError('name', `must be 1-${MAX_NAME_LENGTH} characters`);
    const user = request.username === undefined ? undefined : await this.#users.findByUsername(request.username);
    if (request.username !== undefined && (!user || !user.active)) {
      throw new DomainError(ErrorCodes.USER_NOT_FOUND, `no active user named "${request.username}"`);
    }
    const scopes = clientScopes(request.scopes, user !== undefined);
    const secret = newSecret(CLIENT_SECRET_PREFIX);
    const client = await this.#clients.create({ clientId: randomUUID(), name, secretHash: secretHash(secret), scopes, userId: user?.userId });
    return { client, secret };
  }

  list(): Promise<Client[]> {
    return this.#clients.list();
  }

  /** Disables a client and ends its sessions: its tokens are refused at once. */
  async disable(clientId: string): Promise<Client> {
    const disabled = isUuid(clientId) ? await this.#clients.disable(clientId.toLowerCase()) : undefined;
    if (!disabled) throw new DomainError(ErrorCodes.CLIENT_NOT_FOUND, `no client with id ${clientId}`);
    this.#revoked.add(disabled.ended);
    return disabled.client;
  }
}
