import type { TestMode } from '../../test/support/test-modes.ts';
import { withHubDatabase } from './hub-database.ts';

export interface DeliveryStats {
  messages: number;
  delivered: number;
  failed: number;
  /** Neither delivered nor failed: still in the pipeline when the hub stopped. */
  pending: number;
  /** From the message's `accepted` status entry to its `delivered` entry, in ms. */
  acceptToDeliveredMs: { p50: number | null; p99: number | null; max: number | null };
}

const QUERY = `
  SELECT count(*)::int AS messages,
         count(*) FILTER (WHERE m.status = 'delivered')::int AS delivered,
         count(*) FILTER (WHERE m.status = 'failed')::int AS failed,
         percentile_disc(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM d.at - a.at) * 1000) AS p50,
         percentile_disc(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM d.at - a.at) * 1000) AS p99,
         max(extract(epoch FROM d.at - a.at) * 1000) AS max
  FROM messages m
  JOIN message_status_history a ON a.message_id = m.id AND a.status = 'accepted'
  LEFT JOIN message_status_history d ON d.message_id = m.id AND d.status = 'delivered'
  WHERE m.created_at >= $1`;

type Row = { messages: number; delivered: number; failed: number; p50: unknown; p99: unknown; max: unknown };

const ms = (value: unknown) => (value === null ? null : Math.round(Number(value) * 10) / 10);

/**
 * Delivery figures of every message accepted since `since`, read from the hub's own database after it
 * stopped: each message's status history holds when it was accepted and when it was delivered.
 */
export async function deliveryStats(mode: TestMode, dataDir: string, since: Date): Promise<DeliveryStats> {
  const [row] = await withHubDatabase(mode, dataDir, (query) => query<Row>(QUERY, [since.toISOString()]));
  return {
    messages: row!.messages,
    delivered: row!.delivered,
    failed: row!.failed,
    pending: row!.messages - row!.delivered - row!.failed,
    acceptToDeliveredMs: { p50: ms(row!.p50), p99: ms(row!.p99), max: ms(row!.max) },
  };
}
