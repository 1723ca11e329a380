import { DomainError, ErrorCodes } from '../domain/errors.ts';
import { isUuid } from '../domain/ids.ts';
import { grantedScopes } from '../domain/scopes.ts';
import type { ClientStore } from '../ports/client-store.ts';
import { matchesHash } from './opaque-secrets.ts';
import type { Grant, Sessions } from './sessions.ts';

/**
 * The client credentials grant (RFC 6749 §4.4): a backend trades its id and secret for an access token with some of
 * its scopes, acting as its service user when it has one. No refresh token: the client asks again.
 */
export class ClientCredentials {
  readonly #clients: ClientStore;
  readonly #sessions: Sessions;

  constructor(clients: ClientStore, sessions: Sessions) {
    this.#clients = clients;
    this.#sessions = sessions;
  }

  async grant(clientId: string, secret: string, scope: string | undefined, now = new Date()): Promise<Grant> {
    const client = isUuid(clientId) ? await this.#clients.find(clientId.toLowerCase()) : undefined;
    if (!client || !matchesHash(secret, client.secretHash) || !client.active) {
      throw new DomainError(ErrorCodes.CLIENT_CREDENTIALS_INVALID, 'Unknown client, wrong secret, or a disabled client');
    }
    const scopes = grantedScopes(scope, client.scopes);
    const actsAsUser = client.userId !== undefined && scopes.includes('chat');
    if (actsAsUser && !client.userActive) throw new DomainError(ErrorCodes.USER_DISABLED, `The user ${client.username} this client acts as was disabled`);
    const principal = { clientId: client.clientId, ...(actsAsUser ? { userId: client.userId!, username: client.username! } : {}) };
    return this.#sessions.open(principal, scopes, { refreshable: false }, now);
  }
}
