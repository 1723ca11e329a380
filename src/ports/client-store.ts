import type { Scope } from '../domain/scopes.ts';
import type { RevokedSession } from './session-store.ts';

/** A server-to-server client: a backend that obtains tokens with its id and secret (OAuth client credentials). */
export interface Client {
  clientId: string;
  name: string;
  scopes: Scope[];
  /** The service user it acts as with the chat scope, if any. */
  userId: string | undefined;
  username: string | undefined;
  active: boolean;
  createdAt: Date;
}

export interface ClientWithSecret extends Client {
  /** SHA-256 (hex) of its secret. */
  secretHash: string;
  /** Whether the user it acts as (if any) is active. */
  userActive: boolean;
}

export interface ClientStore {
  create(client: { clientId: string; name: string; secretHash: string; scopes: readonly Scope[]; userId: string | undefined }): Promise<Client>;
  find(clientId: string): Promise<ClientWithSecret | undefined>;
  list(): Promise<Client[]>;
  /** Disables a client and ends its sessions, so its tokens are refused at once; undefined when there is no such client. */
  disable(clientId: string): Promise<{ client: Client; ended: RevokedSession[] } | undefined>;
}
