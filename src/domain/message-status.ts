/**
 * A message moves accepted → in_transit → delivered | failed and never back.
 * Each delivery (one channel, one recipient) moves pending → delivered | failed.
 */
export const MessageStatuses = ['accepted', 'in_transit', 'delivered', 'failed'] as const;
export type MessageStatus = (typeof MessageStatuses)[number];

export const DeliveryStatuses = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DeliveryStatuses)[number];

const rank: Record<MessageStatus, number> = { accepted: 0, in_transit: 1, delivered: 2, failed: 2 };

/** The statuses a message may be in for a move to `next` to be allowed: strictly lower rank. */
export function predecessorsOf(next: MessageStatus): MessageStatus[] {
  return MessageStatuses.filter((status) => rank[status] < rank[next]);
}

/** The message's final status once no delivery is pending; undefined while some still are. */
export function settledStatus(deliveries: readonly DeliveryStatus[]): MessageStatus | undefined {
  if (deliveries.length === 0 || deliveries.includes('pending')) return undefined;
  return deliveries.includes('failed') ? 'failed' : 'delivered';
}
