import type { ChannelDispatchEvent } from '../domain/message-events.ts';

/** Thrown by a connector for a delivery that cannot succeed; the reason is recorded on the delivery. */
export class DeliveryFailure extends Error {}

/** Who a delivery goes to on a channel: the hub user and their address there. */
export interface ChannelRecipient {
  userId: string;
  address: string;
}

/** What a channel answers when it takes a message: its own id for it, and how far it already got. */
export interface SendReceipt {
  providerMessageId: string;
  status: 'sent' | 'delivered';
}

/** A later word from the channel about something it was handed, naming it by the channel's own id. */
export interface ChannelStatusReport {
  providerMessageId: string;
  status: 'delivered' | 'read' | 'failed';
  reason?: string;
  /** When the channel says it happened. */
  at: Date;
}

/** Reports a channel's status events to the hub; resolves with those that name nothing the hub knows (yet). */
export type StatusSink = (channel: string, reports: ChannelStatusReport[]) => Promise<ChannelStatusReport[]>;

/** A channel plug-in. A new channel is one implementation of this, registered by name. */
export interface ChannelConnector {
  /** Registry name, also the value clients put in `channels`. */
  readonly name: string;
  /** Human name used in log lines ("WhatsApp"). */
  readonly displayName: string;
  /** Hands one message to one recipient on this channel; throws DeliveryFailure when it cannot. */
  send(message: ChannelDispatchEvent, recipient: ChannelRecipient): Promise<SendReceipt>;
}
