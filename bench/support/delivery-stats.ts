import type { TestMode } from '../../test/support/test-modes.ts';
import { withHubDatabase, type Query } from './hub-database.ts';

export interface DeliveryStats {
  messages: number;
  /** Delivered or, since, read. */
  delivered: number;
  failed: number;
  /** Neither delivered nor failed: still in the pipeline when the hub stopped. */
  pending: number;
  /** From the message's acceptance to its delivery, in ms. */
  acceptToDeliveredMs: { p50: number | null; p99: number | null; max: number | null };
  /** Where the times came from: the lean schema's columns, or (a hub from before migration 0007) the status history. */
  schema: 'columns' | 'status history';
}

const COUNTS = `
  count(*)::int AS messages,
  count(*) FILTER (WHERE m.status IN ('delivered', 'read'))::int AS delivered,
  count(*) FILTER (WHERE m.status = 'failed')::int AS failed`;

const percentiles = (delta: string) => `
  percentile_disc(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM ${delta}) * 1000) AS p50,
  percentile_disc(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM ${delta}) * 1000) AS p99,
  max(extract(epoch FROM ${delta}) * 1000) AS max`;

/** Migration 0007 (the lean pipeline): a message is accepted at created_at and delivered at delivered_at. */
const COLUMNS_QUERY = `
  SELECT ${COUNTS}, ${percentiles('m.delivered_at - m.created_at')}
  FROM messages m
  WHERE m.created_at >= $1`;

/** Before it: each step is a row of message_status_history. */
const HISTORY_QUERY = `
  SELECT ${COUNTS}, ${percentiles('d.at - a.at')}
  FROM messages m
  JOIN message_status_history a ON a.message_id = m.id AND a.status = 'accepted'
  LEFT JOIN message_status_history d ON d.message_id = m.id AND d.status = 'delivered'
  WHERE m.created_at >= $1`;

type Row = { messages: number; delivered: number; failed: number; p50: unknown; p99: unknown; max: unknown };

const ms = (value: unknown) => (value === null ? null : Math.round(Number(value) * 10) / 10);

/** Which schema the hub's database has: `--hub` may point at a checkout from before migration 0007. */
export async function hasStatusHistory(query: Query): Promise<boolean> {
  const [row] = await query<{ found: boolean }>(`SELECT to_regclass('message_status_history') IS NOT NULL AS found`);
  return row!.found;
}

/**
 * Delivery figures of every message accepted since `since`, read from the hub's own database after it
 * stopped (embedded: PGlite belongs to one process at a time).
 */
export async function deliveryStats(mode: TestMode, dataDir: string, since: Date): Promise<DeliveryStats> {
  return withHubDatabase(mode, dataDir, async (query) => {
    const history = await hasStatusHistory(query);
    const [row] = await query<Row>(history ? HISTORY_QUERY : COLUMNS_QUERY, [since.toISOString()]);
    return {
      messages: row!.messages,
      delivered: row!.delivered,
      failed: row!.failed,
      pending: row!.messages - row!.delivered - row!.failed,
      acceptToDeliveredMs: { p50: ms(row!.p50), p99: ms(row!.p99), max: ms(row!.max) },
      schema: history ? 'status history' : 'columns',
    };
  });
}

/** "yes (12,345)" when every message was delivered, else what was left. */
export function deliveredCell(stats: DeliveryStats): string {
  const n = (value: number) => value.toLocaleString('en-US');
  if (stats.pending === 0 && stats.failed === 0) return `yes (${n(stats.delivered)})`;
  return `no: ${n(stats.pending)} pending, ${n(stats.failed)} failed of ${n(stats.messages)}`;
}
