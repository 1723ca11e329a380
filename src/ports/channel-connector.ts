import type { ChannelDispatchEvent } from '../domain/message-events.ts';

/**
 * Thrown by a connector for a delivery that did not succeed; the reason is recorded on the delivery. A transient
 * failure (the default: the provider is down, throttling...) is retried; a permanent one (the address does not
 * exist) fails the delivery at once.
 */
export class DeliveryFailure extends Error {
  readonly permanent: boolean;

  constructor(message: string, options: { permanent?: boolean } = {}) {
    super(message);
    this.permanent = options.permanent ?? false;
  }
}

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

/** A message someone sent on the channel, to be turned into a hub message. */
export interface InboundChannelMessage {
  /** The channel's id for it: a webhook delivered twice makes one hub message. */
  externalId: string;
  /** The sender's address on the channel. */
  from: string;
  /** The recipient's address on the channel, for a one-to-one message... */
  to?: string;
  /** ...or the hub conversation it answers. */
  conversationId?: string;
  text: string;
  at: Date;
}

/** An HTTP request to the channel's inbound webhook, as received: the signature covers the raw bytes. */
export interface ChannelWebhookRequest {
  headers: Readonly<Record<string, string | string[] | undefined>>;
  rawBody: Buffer;
}

/** What one webhook call carried: status events about deliveries, and inbound messages. */
export interface ChannelWebhookBatch {
  statuses: ChannelStatusReport[];
  messages: InboundChannelMessage[];
}

/** Thrown by handleWebhook when the request is not signed with the channel's secret. */
export class ChannelSignatureError extends Error {}

/** A channel plug-in. A new channel is one implementation of this, registered by name. */
export interface ChannelConnector {
  /** Registry name, also the value clients put in `channels`. */
  readonly name: string;
  /** Human name used in log lines ("WhatsApp"). */
  readonly displayName: string;
  /** Whether inbound webhooks are configured (a shared secret to check their signature with). */
  readonly acceptsWebhooks: boolean;
  /** Hands one text message to one recipient on this channel; throws DeliveryFailure when it cannot. */
  send(message: ChannelDispatchEvent, recipient: ChannelRecipient): Promise<SendReceipt>;
  /** Hands one file message (payload type file) to one recipient; throws DeliveryFailure when it cannot. */
  sendFile(message: ChannelDispatchEvent, recipient: ChannelRecipient): Promise<SendReceipt>;
  /**
   * Sends a verification code to an address a user claims (as a text message, say); throws DeliveryFailure when
   * it cannot. The code proves the address is theirs when it comes back to the hub.
   */
  sendVerificationCode(recipient: ChannelRecipient, code: string): Promise<void>;
  /**
   * Checks an inbound webhook's signature (throws ChannelSignatureError) and reads what it carries (throws a
   * validation DomainError for a body it cannot read).
   */
  handleWebhook(request: ChannelWebhookRequest): ChannelWebhookBatch;
}
