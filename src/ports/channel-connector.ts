import type { ChannelDispatchEvent } from '../domain/message-events.ts';

/** Thrown by a connector for a delivery that cannot succeed; the reason is recorded on the delivery. */
export class DeliveryFailure extends Error {}

/** A channel plug-in. A new channel is one implementation of this, registered by name. */
export interface ChannelConnector {
  /** Registry name, also the value clients put in `channels`. */
  readonly name: string;
  /** Human name used in log lines ("WhatsApp"). */
  readonly displayName: string;
  /** Hands one message to one recipient on this channel; throws DeliveryFailure when it cannot. */
  send(message: ChannelDispatchEvent, recipientId: string): Promise<void>;
}
