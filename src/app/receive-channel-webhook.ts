import { createHmac } from 'node:crypto';
import { DomainError, ErrorCodes } from '../domain/errors.ts';
import { DEFAULT_PRIORITY } from '../domain/message.ts';
import {
  ChannelSignatureError,
  type ChannelConnector,
  type ChannelWebhookRequest,
  type InboundChannelMessage,
} from '../ports/channel-connector.ts';
import type { ConversationStore } from '../ports/conversation-store.ts';
import type { IdentityStore } from '../ports/identity-store.ts';
import type { Conversations } from './conversations.ts';
import type { RecordChannelEvents } from './record-channel-events.ts';
import type { SendMessage } from './send-message.ts';

/** What became of one inbound message. */
export type InboundOutcome =
  | { externalId: string; status: 'accepted' | 'duplicate'; messageId: string; conversationId: string }
  | { externalId: string; status: 'rejected'; reason: string };

export interface WebhookReceipt {
  statusesApplied: number;
  /** Status events naming no delivery the hub knows. */
  unmatched: string[];
  messages: InboundOutcome[];
}

export interface InboundDependencies {
  channels: ReadonlyMap<string, ChannelConnector>;
  channelEvents: RecordChannelEvents;
  identities: IdentityStore;
  conversationStore: ConversationStore;
  conversations: Conversations;
  sendMessage: SendMessage;
  /** The hub's own key naming inbound messages (inboundMessageId); the same in every process and never rotated. */
  inboundIdKey: string;
}

/**
 * A channel's inbound webhook: its status events move deliveries forward; its messages become hub messages from
 * the user linked to the sender's address, in the conversation they answer or the private one with the user
 * linked to the recipient's address (made if needed), delivered to the other members on the channels they are
 * linked on (a WhatsApp user reaches an Instagram user), or back on this channel when they are linked nowhere.
 */
export class ReceiveChannelWebhook {
  readonly #deps: InboundDependencies;

  constructor(deps: InboundDependencies) {
    this.#deps = deps;
  }

  async receive(channelName: string, request: ChannelWebhookRequest): Promise<WebhookReceipt> {
    const channel = this.#deps.channels.get(channelName);
    if (!channel) throw new DomainError(ErrorCodes.CHANNEL_NOT_FOUND, `No channel named "${channelName}"`);
    if (!channel.acceptsWebhooks) {
      throw new DomainError(ErrorCodes.CHANNEL_INBOUND_DISABLED, `Inbound webhooks are not configured for ${channelName}`);
    }
    let batch;
    try {
      batch = channel.handleWebhook(request);
    } catch (error) {
      if (error instanceof ChannelSignatureError) throw new DomainError(ErrorCodes.CHANNEL_SIGNATURE_INVALID, error.message);
      throw error;
    }
    const unmatched = await this.#deps.channelEvents.record(channelName, batch.statuses);
    const messages: InboundOutcome[] = [];
    for (const message of batch.messages) {
      // One message the hub cannot take (e.g. an id reused for other content) does not fail the others.
      const outcome = await this.#accept(channelName, message).catch((error: unknown) => {
        if (!(error instanceof DomainError)) throw error;
        return { externalId: message.externalId, status: 'rejected', reason: error.message } as const;
      });
      messages.push(outcome);
    }
    return {
      statusesApplied: batch.statuses.length - unmatched.length,
      unmatched: unmatched.map((report) => report.providerMessageId),
      messages,
    };
  }

  async #accept(channel: string, inbound: InboundChannelMessage): Promise<InboundOutcome> {
    const { identities, conversationStore, conversations, sendMessage } = this.#deps;
    const reject = (reason: string): InboundOutcome => ({ externalId: inbound.externalId, status: 'rejected', reason });
    const sender = await identities.ownerOf(channel, inbound.from);
    if (!sender) return reject(`no user has linked ${channel} address ${inbound.from}`);
    let conversationId = inbound.conversationId;
    if (conversationId === undefined) {
      const recipient = await identities.ownerOf(channel, inbound.to!);
      if (!recipient) return reject(`no user has linked ${channel} address ${inbound.to}`);
      if (recipient === sender) return reject('a message to oneself');
      conversationId =
        (await conversationStore.findPrivate(sender, recipient)) ??
        (await conversations.create(sender, { type: 'private', members: [sender, recipient] })).conversation.conversationId;
    }
    const conversation = await conversationStore.find(conversationId);
    if (!conversation?.members.includes(sender)) return reject(`the sender is not a member of conversation ${conversationId}`);
    const others = conversation.members.filter((member) => member !== sender);
    const linked = await identities.channelsOf(others);
    const channels = [...new Set(others.flatMap((member) => linked.get(member) ?? [channel]))];
    const messageId = inboundMessageId(this.#deps.inboundIdKey, channel, inbound.externalId);
    const { message, replayed } = await sendMessage.send(sender, {
      messageId,
      conversationId,
      from: sender,
      to: null,
      channels,
      payload: { type: 'text', text: inbound.text },
      priority: DEFAULT_PRIORITY,
    });
    return { externalId: inbound.externalId, status: replayed ? 'duplicate' : 'accepted', messageId: message.messageId, conversationId };
  }
}

/**
 * A hub message id named by the channel's own id, so the provider retrying its webhook makes one message. Keyed
 * with a secret of the hub's: an id anyone could compute would let a user send a message with it first, and the
 * real inbound message would then be refused as an id reused for other content.
 */
export function inboundMessageId(key: string, channel: string, externalId: string): string {
  const hex = createHmac('sha256', key).update(`${channel}\u0000${externalId}`).digest('hex');
  // Shaped as a UUID of version 8 (custom), variant 10.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
