import type { MessageState } from './ledger.ts';
import type { MessageAcceptedEvent } from './message-events.ts';
import type { MessageStatus } from './message-status.ts';

/**
 * What the hub tells client apps about (over the WebSocket and webhooks). The events of one conversation that a
 * transaction made true are written to the outbox as one record (topic `hub_events`, keyed by conversation) in that
 * transaction; the notifier stores each event once and gives it the next event id of every user in its audience.
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

/**
 * To the sender. A message reaches each status at most once per generation (a dead-letter replay starts the next
 * one), so the generation and the status name the fact.
 */
export function messageStatus(data: MessageStatusData, senderId: string, generation: number): HubEvent {
  return {
    type: 'message.status',
    key: `message.status:${data.message_id}:${generation}:${data.status}`,
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

/**
 * Which events a move of a message's aggregate status announces: its new status to the sender, and, when the
 * router takes an accepted message (the move to in_transit), the message itself to every member first, so a
 * client never sees a status before the message it belongs to.
 */
export function eventsOfMove(message: MessageState, previous: MessageStatus, reason: string | null, at: string): HubEvent[] {
  const occurredAt = new Date(at).toISOString();
  const status = messageStatus(
    {
      message_id: message.messageId,
      conversation_id: message.conversationId,
      seq: message.seq,
      status: message.status,
      previous_status: previous,
      reason,
      at: occurredAt,
    },
    message.from,
    message.generation,
  );
  if (previous !== 'accepted') return [status];
  const created = messageCreated({
    message_id: message.messageId,
    conversation_id: message.conversationId,
    seq: message.seq,
    from: message.from,
    to: message.to,
    channels: message.channels,
    payload: message.payload,
    priority: message.priority,
    created_at: message.createdAt,
  });
  return [created, status];
}

/** A `hub_events` record: the events one transaction made true in one conversation, in order. */
export interface HubEventsRecord {
  conversation_id: string;
  events: HubEvent[];
}

export function hubEventsRecord(conversationId: string, events: HubEvent[]): { topic: string; key: string; value: HubEventsRecord } {
  return { topic: HUB_EVENTS_TOPIC, key: conversationId, value: { conversation_id: conversationId, events } };
}

/** The events of a `hub_events` record; an earlier version wrote one event per record. */
export function eventsOfRecord(value: HubEventsRecord | HubEvent): HubEvent[] {
  return 'events' in value ? value.events : [value];
}
