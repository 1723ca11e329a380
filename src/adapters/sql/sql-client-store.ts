import { sql } from 'kysely';
import type { Scope } from '../../domain/scopes.ts';
import type { Client, ClientStore, ClientWithSecret } from '../../ports/client-store.ts';
import type { RevokedSession } from '../../ports/session-store.ts';
import { endSessions } from './ended-sessions.ts';
import type { Db } from './sql-database.ts';

interface ClientRow {
  id: string;
  name: string;
  secret_hash: string;
  scopes: Scope[];
  user_id: string | null;
  username: string | null;
  user_active: boolean | null;
  is_active: boolean;
  created_at: Date;
}

const toClient = (row: ClientRow): Client => ({
  clientId: row.id,
  name: row.name,
  scopes: row.scopes,
  userId: row.user_id ?? undefined,
  username: row.username ?? undefined,
  active: row.is_active,
  createdAt: new Date(row.created_at),
});

const SELECT_CLIENTS = sql`
  SELECT c.*, u.username, u.is_active AS user_active FROM oauth_clients c LEFT JOIN users u ON u.id = c.user_id`;

export class SqlClientStore implements ClientStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async create(client: { clientId: string; name: string; secretHash: string; scopes: readonly Scope[]; userId: string | undefined }): Promise<Client> {
    await sql`
      INSERT INTO oauth_clients (id, name, secret_hash, scopes, user_id)
      VALUES (${client.clientId}, ${client.name}, ${client.secretHash}, ${[...client.scopes]}::text[], ${client.userId ?? null})`.execute(this.#db);
    return toClient((await this.#byId(this.#db, client.clientId))!);
  }

  async find(clientId: string): Promise<ClientWithSecret | undefined> {
    const row = await this.#byId(this.#db, clientId);
    return row && { ...toClient(row), secretHash: row.secret_hash, userActive: row.user_active ?? true };
  }

  async list(): Promise<Client[]> {
    const { rows } = await sql<ClientRow>`${SELECT_CLIENTS} ORDER BY c.created_at, c.id`.execute(this.#db);
    return rows.map(toClient);
  }

  disable(clientId: string): Promise<{ client: Client; ended: RevokedSession[] } | undefined> {
    return this.#db.transaction().execute(async (trx) => {
      const { rows } = await sql`UPDATE oauth_clients SET is_active = false WHERE id = ${clientId} RETURNING id`.execute(trx);
      if (rows.length === 0) return undefined;
      const ended = await endSessions(trx, sql`client_id = ${clientId}`);
      return { client: toClient((await this.#byId(trx, clientId))!), ended };
    });
  }

  async #byId(db: Db, clientId: string): Promise<ClientRow | undefined> {
    const { rows } = await sql<ClientRow>`${SELECT_CLIENTS} WHERE c.id = ${clientId}`.execute(db);
    return rows[0];
  }
}
