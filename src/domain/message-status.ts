/**
 * Two status models, both moving only forward.
 *
 * Each delivery (one message, one channel, one recipient) moves pending → sent (handed to the channel) →
 * delivered → read, possibly skipping steps, or from pending/sent to failed. delivered, read and failed never
 * fall back: a late `delivered` after `read` and a repeated event change nothing.
 *
 * The message carries the aggregate, in the seed's words: accepted → in_transit (routed, not every delivery
 * settled) → delivered (every delivery delivered or read) → read (every delivery read), or failed once every
 * delivery settled and one of them failed.
 */
export const MessageStatuses = ['accepted', 'in_transit', 'delivered', 'read', 'failed'] as const;
export type MessageStatus = (typeof MessageStatuses)[number];

export const DeliveryStatuses = ['pending', 'sent', 'delivered', 'read', 'failed'] as const;
export type DeliveryStatus = (typeof DeliveryStatuses)[number];

/** What a channel (or the hub) can report about a delivery. */
export type DeliveryEventStatus = Exclude<DeliveryStatus, 'pending'>;

const messageRank: Record<MessageStatus, number> = { accepted: 0, in_transit: 1, delivered: 2, read: 3, failed: 2 };
const deliveryRank: Record<DeliveryStatus, number> = { pending: 0, sent: 1, delivered: 2, read: 3, failed: 2 };

/** The statuses a message may be in for a move to `next` to be allowed: lower rank, and failed is final. */
export function predecessorsOf(next: MessageStatus): MessageStatus[] {
  return MessageStatuses.filter((status) => status !== 'failed' && messageRank[status] < messageRank[next]);
}

/**
 * The statuses a delivery may be in for a move to `next`: lower rank, failed is final, and nothing that
 * reached the recipient (delivered, read) can fail afterwards.
 */
export function deliveryPredecessorsOf(next: DeliveryStatus): DeliveryStatus[] {
  const ceiling = next === 'failed' ? deliveryRank.sent + 1 : deliveryRank[next];
  return DeliveryStatuses.filter((status) => status !== 'failed' && deliveryRank[status] < ceiling);
}

/** A connector hands over only what is pending: a delivery handed over already is not sent again. */
export const HAND_OVER_FROM: DeliveryStatus = 'pending';

/** The message's status once every delivery settled; undefined while one is still pending or only sent. */
export function settledStatus(deliveries: readonly DeliveryStatus[]): 'delivered' | 'read' | 'failed' | undefined {
  if (deliveries.length === 0 || deliveries.some((status) => status === 'pending' || status === 'sent')) return undefined;
  if (deliveries.includes('failed')) return 'failed';
  return deliveries.every((status) => status === 'read') ? 'read' : 'delivered';
}

/** How many deliveries are in each status: the breakdown shown beside a message's aggregate. */
export function deliverySummary(deliveries: readonly DeliveryStatus[]): Record<DeliveryStatus, number> & { total: number } {
  const summary = { total: deliveries.length, pending: 0, sent: 0, delivered: 0, read: 0, failed: 0 };
  for (const status of deliveries) summary[status]++;
  return summary;
}
