import type { MessageAcceptedEvent } from './message-events.ts';
import type { MessageStatus } from './message-status.ts';

/**
 * What the hub tells client apps about (over the WebSocket and webhooks). Each is written to the outbox
 * (topic `hub_events`, keyed by conversation) in the transaction that made it true, then fanned out to the
 * feed of every user in its audience, where it gets that user's next event id.
 */
export const HubEventTypes = ['message.created', 'message.status', 'conversation.read'] as const;
export type HubEventType = (typeof HubEventTypes)[number];

export const HUB_EVENTS_TOPIC = 'hub_events';

/** The message as the router got it (what `message_processing` carries). */
export type MessageCreatedData = MessageAcceptedEvent;

export interface MessageStatusData {
  message_id: string;
  conversation_id: string;
  seq: number;
  status: MessageStatus;
  previous_status: MessageStatus;
  reason: string | null;
  at: string;
}

export interface ConversationReadData {
  conversation_id: string;
  user_id: string;
  up_to_seq: number;
  at: string;
}

export type HubEvent =
  | HubEventOf<'message.created', MessageCreatedData>
  | HubEventOf<'message.status', MessageStatusData>
  | HubEventOf<'conversation.read', ConversationReadData>;

interface HubEventOf<T extends HubEventType, D> {
  type: T;
  /** Names the fact, so the same fact fanned out twice lands once in each feed. */
  key: string;
  conversation_id: string;
  /** Every member of the conversation, or just these users. */
  audience: 'members' | string[];
  occurred_at: string;
  data: D;
}

/** To every member, the sender included (their other devices). */
export function messageCreated(data: MessageCreatedData): HubEvent {
  return {
    type: 'message.created',
    key: `message.created:${data.message_id}`,
    conversation_id: data.conversation_id,
    audience: 'members',
    occurred_at: data.created_at,
    data,
  };
}

/** To the sender: a message reaches each status at most once, so the status names the fact. */
export function messageStatus(data: MessageStatusData, senderId: string): HubEvent {
  return {
    type: 'message.status',
    key: `message.status:${data.message_id}:${data.status}`,
    conversation_id: data.conversation_id,
    audience: [senderId],
    occurred_at: data.at,
    data,
  };
}

/** To every member: senders learn who read how far. A pointer only moves forward, so its value names the fact. */
export function conversationRead(data: ConversationReadData): HubEvent {
  return {
    type: 'conversation.read',
    key: `conversation.read:${data.conversation_id}:${data.user_id}:${data.up_to_seq}`,
    conversation_id: data.conversation_id,
    audience: 'members',
    occurred_at: data.at,
    data,
  };
}
