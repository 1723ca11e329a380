/**
 * The floor: the least an accept endpoint can do on this machine. A Fastify app that validates the hub's
 * POST /v1/messages body with the hub's own schema and validator, inserts the message and its outbox row in
 * one prepared statement, and answers. No auth, no membership, no seq, no logs.
 *
 *   FLOOR_DB=pg FLOOR_URL=postgres://… node bench/floor/floor-server.ts
 *   FLOOR_DB=pglite FLOOR_DIR=/tmp/x node bench/floor/floor-server.ts
 *
 * Prints "floor listening on http://127.0.0.1:PORT" once it serves.
 */
import { PGlite } from '@electric-sql/pglite';
import Fastify from 'fastify';
import pg from 'pg';
import { sendMessageBody } from '../../src/http/schemas/message-schemas.ts';
import { validatorCompiler } from '../../src/http/validation.ts';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS floor_messages (
     id uuid PRIMARY KEY, conversation_id uuid NOT NULL, sender uuid NOT NULL, body jsonb NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now())`,
  `CREATE TABLE IF NOT EXISTS floor_outbox (id bigserial PRIMARY KEY, message_id uuid NOT NULL, payload jsonb NOT NULL)`,
];

const INSERT = `
  WITH m AS (
    INSERT INTO floor_messages (id, conversation_id, sender, body) VALUES ($1, $2, $3, $4)
    ON CONFLICT DO NOTHING RETURNING id, body
  )
  INSERT INTO floor_outbox (message_id, payload) SELECT id, body FROM m`;

type Insert = (params: unknown[]) => Promise<unknown>;

async function openDatabase(): Promise<Insert> {
  if (process.env.FLOOR_DB === 'pglite') {
    const pglite = await PGlite.create(process.env.FLOOR_DIR!);
    for (const statement of SCHEMA) await pglite.exec(statement);
    return (params) => pglite.query(INSERT, params);
  }
  const pool = new pg.Pool({ connectionString: process.env.FLOOR_URL, max: Number(process.env.FLOOR_POOL ?? 10) });
  for (const statement of SCHEMA) await pool.query(statement);
  return (params) => pool.query({ name: 'floor-insert', text: INSERT, values: params });
}

const insert = await openDatabase();
const app = Fastify({ bodyLimit: 1024 * 1024 });
app.setValidatorCompiler(validatorCompiler);
app.post<{ Body: { message_id: string; conversation_id: string; from: string } }>(
  '/v1/messages',
  { schema: { body: sendMessageBody(['whatsapp', 'instagram']) } },
  async (request) => {
    const body = request.body;
    await insert([body.message_id, body.conversation_id, body.from, JSON.stringify(body)]);
    return { status: 'accepted', message_id: body.message_id };
  },
);
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`floor listening on ${address}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
