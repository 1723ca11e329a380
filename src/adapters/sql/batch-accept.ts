import { sql } from 'kysely';
import { MESSAGE_PROCESSING_TOPIC } from '../../domain/channels.ts';
import type { Message, SendCommand } from '../../domain/message.ts';
import type { AcceptOutcome } from '../../ports/message-store.ts';
import { partitionFor } from '../partitioning.ts';
import { toMessage, type MessageRow } from './message-row.ts';
import type { Db } from './sql-database.ts';
import { isDatabaseUnavailable, sqlState } from './sql-errors.ts';
import { GroupCommit } from './group-commit.ts';
import { mustRun, type RecordAppender } from './records/record-appender.ts';

export interface AcceptRequest {
  command: SendCommand;
  fingerprint: string;
}

interface ResultRow {
  found: boolean;
  sender_ok: boolean;
  recipient_ok: boolean;
  seq: number | string | null;
  created_at: Date | string | null;
  existing: MessageRow | null;
}

/**
 * Accepts many messages in one statement: for each request it checks the conversation and the membership
 * of sender and recipient, skips ids that exist, takes the next seqs of each conversation (locking its row,
 * so seqs follow commit order), and inserts the messages and their records for the router (outbox or bus log),
 * ordered by seq. One row comes back per request, in request order.
 *
 * The seqs a statement takes are exactly the messages it inserts, so a conversation's seqs have no gaps.
 * When another transaction commits the same message id first, the insert fails with a unique violation and
 * rolls back whole (seqs included); the batch then runs again and sees that message as existing.
 */
async function acceptStatement(db: Db, requests: readonly AcceptRequest[], options: BatchAcceptOptions): Promise<ResultRow[]> {
  const column = <T>(pick: (request: AcceptRequest) => T) => requests.map(pick);
  const { appender } = options;
  const appended = appender.append('routable', 'accepted');
  const { rows } = await sql<ResultRow>`
    WITH req AS (
      SELECT * FROM unnest(
        ${column((r) => r.command.messageId)}::uuid[], ${column((r) => r.command.conversationId)}::uuid[],
        ${column((r) => r.command.from)}::uuid[], ${column((r) => r.command.to)}::uuid[],
        ${column((r) => JSON.stringify(r.command.channels))}::jsonb[], ${column((r) => JSON.stringify(r.command.payload))}::jsonb[],
        ${column((r) => r.command.priority)}::text[], ${column((r) => r.fingerprint)}::text[],
        ${column((r) => appender.partitionOf(r.command.conversationId))}::int[]
      ) WITH ORDINALITY AS r (id, conversation_id, from_user_id, to_user_id, channels, payload, priority, request_hash,
                              partition, ord)
    ), checked AS (
      SELECT r.*, c.id IS NOT NULL AS found,
             EXISTS (SELECT 1 FROM conversation_members m
                     WHERE m.conversation_id = r.conversation_id AND m.user_id = r.from_user_id) AS sender_ok,
             (r.to_user_id IS NULL OR EXISTS (SELECT 1 FROM conversation_members m
                     WHERE m.conversation_id = r.conversation_id AND m.user_id = r.to_user_id)) AS recipient_ok,
             CASE WHEN e.id IS NULL THEN NULL ELSE to_jsonb(e) END AS existing
      FROM req r
      LEFT JOIN conversations c ON c.id = r.conversation_id
      LEFT JOIN messages e ON e.id = r.id
    ), wanted AS (
      SELECT * FROM checked WHERE found AND sender_ok AND recipient_ok AND existing IS NULL
    ), counts AS (
      SELECT conversation_id, count(*) AS n FROM wanted GROUP BY conversation_id ORDER BY conversation_id
    ), next AS (
      UPDATE conversations c SET last_seq = c.last_seq + counts.n, last_message_at = now()
      FROM counts WHERE c.id = counts.conversation_id
      RETURNING c.id, c.last_seq - counts.n AS base
    ), numbered AS (
      SELECT w.*, next.base + row_number() OVER (PARTITION BY w.conversation_id ORDER BY w.ord) AS seq
      FROM wanted w JOIN next ON next.id = w.conversation_id
    ), inserted AS (
      INSERT INTO messages (id, conversation_id, seq, from_user_id, to_user_id, channels, payload, priority, status,
                            request_hash)
      SELECT id, conversation_id, seq, from_user_id, to_user_id, ARRAY(SELECT jsonb_array_elements_text(channels)),
             payload, priority, 'accepted', request_hash
      FROM numbered
      RETURNING id, seq, created_at
    ), routable AS (
      SELECT n.partition, ${MESSAGE_PROCESSING_TOPIC}::text AS topic, n.conversation_id::text AS key, jsonb_build_object(
               'message_id', n.id, 'conversation_id', n.conversation_id, 'seq', n.seq, 'from', n.from_user_id,
               'to', n.to_user_id, 'channels', n.channels, 'payload', n.payload, 'priority', n.priority,
               'created_at', i.created_at) AS value,
             row_number() OVER (ORDER BY n.conversation_id, n.seq) AS position
      FROM numbered n JOIN inserted i ON i.id = n.id
    ), ${appended.ctes}
    SELECT c.found, c.sender_ok, c.recipient_ok, i.seq, i.created_at, c.existing
           ${appended.mustRun ? sql`, ${mustRun(appended.mustRun)} AS announced` : sql``}
    FROM checked c LEFT JOIN inserted i ON i.id = c.id
    ORDER BY c.ord`.execute(db);
  return rows;
}

function outcome(request: AcceptRequest, row: ResultRow): AcceptOutcome {
  const { command } = request;
  if (!row.found) return { kind: 'conversation_not_found' };
  if (!row.sender_ok) return { kind: 'not_a_member' };
  if (!row.recipient_ok) return { kind: 'recipient_not_member' };
  if (row.existing) return { kind: 'duplicate', message: toMessage(row.existing), fingerprint: row.existing.request_hash };
  const createdAt = new Date(row.created_at!);
  const message: Message = { ...command, seq: Number(row.seq), status: 'accepted', createdAt, updatedAt: createdAt };
  return { kind: 'accepted', message };
}

/** Another transaction committed one of the ids first, or two batches crossed locks: running again settles it. */
const RETRYABLE = new Set(['23505', '40P01', '40001']);
const MAX_ATTEMPTS = 5;

export interface BatchAcceptOptions {
  /** Batches in flight at once; concurrent batches never share a conversation. */
  lanes: number;
  maxBatch: number;
  /** Where the records for the router go (the outbox, or the bus's log when it is in the database). */
  appender: RecordAppender;
}

/** The accept path: requests arriving together are accepted by one statement (see acceptStatement). */
export class BatchAccept {
  readonly #db: Db;
  readonly #options: BatchAcceptOptions;
  readonly #commit: GroupCommit<AcceptRequest, AcceptOutcome>;

  constructor(db: Db, options: BatchAcceptOptions) {
    this.#db = db;
    this.#options = options;
    this.#commit = new GroupCommit({
      lanes: options.lanes,
      maxBatch: options.maxBatch,
      laneOf: (request) => partitionFor(request.command.conversationId, options.lanes),
      keyOf: (request) => request.command.messageId,
      run: (requests) => this.#run(requests),
    });
  }

  accept(request: AcceptRequest): Promise<AcceptOutcome> {
    return this.#commit.submit(request);
  }

  async #run(requests: AcceptRequest[]): Promise<Array<PromiseSettledResult<AcceptOutcome>>> {
    for (let attempt = 1; ; attempt++) {
      try {
        const rows = await acceptStatement(this.#db, requests, this.#options);
        const outcomes = requests.map((request, i) => outcome(request, rows[i]!));
        if (outcomes.some((result) => result.kind === 'accepted')) this.#options.appender.written([MESSAGE_PROCESSING_TOPIC]);
        return outcomes.map((value) => ({ status: 'fulfilled', value }));
      } catch (error) {
        if (RETRYABLE.has(sqlState(error) ?? '') && attempt < MAX_ATTEMPTS) continue;
        if (requests.length === 1 || isDatabaseUnavailable(error)) throw error;
        // Something in the batch fails it: run each request alone, so only that one gets the error.
        return Promise.all(requests.map((request) => this.#run([request]).then((results) => results[0]!, (reason: unknown) => ({ status: 'rejected' as const, reason }))));
      }
    }
  }
}
