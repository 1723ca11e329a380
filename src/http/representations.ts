import type { Grant } from '../app/sessions.ts';
import type { UploadStatus } from '../app/file-uploads.ts';
import { totalChunks } from '../domain/file-rules.ts';
import type { Message, MessageDetail } from '../domain/message.ts';
import { deliverySummary } from '../domain/message-status.ts';
import { scopeText } from '../domain/scopes.ts';
import { webhookPayload } from '../domain/webhooks.ts';
import type { Conversation, ConversationSummary } from '../ports/conversation-store.ts';
import type { StoredFile } from '../ports/file-catalog.ts';
import type { User } from '../ports/user-store.ts';
import type { Webhook, WebhookDeadLetter } from '../ports/webhook-store.ts';

/** How domain values look on the wire: snake_case fields, ISO timestamps. */

export const grantJson = (grant: Grant) => ({
  access_token: grant.accessToken,
  token: grant.accessToken,
  token_type: 'bearer' as const,
  expires_in: grant.expiresIn,
  expires_at: grant.expiresAt.toISOString(),
  scope: scopeText(grant.scopes),
  user_id: grant.userId ?? null,
  username: grant.username ?? null,
  ...(grant.refreshToken === undefined
    ? {}
    : { refresh_token: grant.refreshToken, refresh_expires_in: grant.refreshExpiresIn!, refresh_expires_at: grant.refreshExpiresAt!.toISOString() }),
  ...(grant.clientId === undefined ? {} : { client_id: grant.clientId }),
});

export const userJson = (user: User) => ({
  user_id: user.userId,
  username: user.username,
  created_at: user.createdAt.toISOString(),
});

/** A user as the admin API shows it: with whether the account is disabled. */
export const accountJson = (user: User) => ({ ...userJson(user), status: user.active ? ('active' as const) : ('disabled' as const) });

export const conversationJson = (conversation: Conversation) => ({
  conversation_id: conversation.conversationId,
  type: conversation.type,
  members: conversation.members,
  metadata: conversation.metadata,
  created_at: conversation.createdAt.toISOString(),
});

export const conversationSummaryJson = (summary: ConversationSummary) => ({
  ...conversationJson(summary),
  last_activity_at: summary.lastActivityAt.toISOString(),
  last_message: summary.lastMessage && {
    message_id: summary.lastMessage.messageId,
    seq: summary.lastMessage.seq,
    from: summary.lastMessage.from,
    payload: summary.lastMessage.payload,
    status: summary.lastMessage.status,
    created_at: summary.lastMessage.createdAt.toISOString(),
  },
  unread_count: summary.unreadCount,
});

export const acceptedJson = (message: Message) => ({
  status: 'accepted' as const,
  message_id: message.messageId,
  conversation_id: message.conversationId,
  seq: message.seq,
  created_at: message.createdAt.toISOString(),
});

export const messageJson = (message: Message) => ({
  message_id: message.messageId,
  conversation_id: message.conversationId,
  seq: message.seq,
  from: message.from,
  to: message.to,
  channels: message.channels,
  payload: message.payload,
  priority: message.priority,
  status: message.status,
  created_at: message.createdAt.toISOString(),
});

export const messageDetailJson = (message: MessageDetail) => ({
  ...messageJson(message),
  updated_at: message.updatedAt.toISOString(),
  status_history: message.history.map((change) => ({
    status: change.status,
    reason: change.reason,
    at: change.at.toISOString(),
  })),
  delivery_summary: deliverySummary(message.deliveries.map((delivery) => delivery.status)),
  deliveries: message.deliveries.map((delivery) => ({
    channel: delivery.channel,
    recipient_id: delivery.recipientId,
    status: delivery.status,
    reason: delivery.reason,
    provider_message_id: delivery.providerMessageId,
    updated_at: delivery.updatedAt.toISOString(),
    history: delivery.history.map((step) => ({
      status: step.status,
      reason: step.reason,
      channel_at: step.channelAt?.toISOString() ?? null,
      recorded_at: step.recordedAt.toISOString(),
    })),
  })),
});

export const fileStatusJson = ({ file, receivedChunks, missingChunks }: UploadStatus) => ({
  file_id: file.fileId,
  filename: file.filename,
  file_size: file.fileSize,
  content_type: file.contentType,
  status: file.status,
  chunk_size: file.chunkSize,
  total_chunks: totalChunks(file),
  received_chunks: receivedChunks,
  missing_chunks: missingChunks,
  ...(file.sha256 ? { sha256: file.sha256 } : {}),
  ...(file.failureReason ? { failure_reason: file.failureReason } : {}),
  created_at: file.createdAt.toISOString(),
  completed_at: file.completedAt?.toISOString() ?? null,
});

export const completedJson = (file: StoredFile) => ({
  file_id: file.fileId,
  status: 'completed' as const,
  filename: file.filename,
  file_size: file.fileSize,
  content_type: file.contentType,
  sha256: file.sha256!,
});

export const webhookJson = (webhook: Webhook) => ({
  webhook_id: webhook.webhookId,
  url: webhook.url,
  events: webhook.events,
  created_at: webhook.createdAt.toISOString(),
});

export const webhookDeadLetterJson = (letter: WebhookDeadLetter) => ({
  delivery_id: letter.deliveryId,
  payload: webhookPayload(letter.event),
  attempts: letter.attempts,
  first_attempt_at: letter.firstAttemptAt.toISOString(),
  last_attempt_at: letter.lastAttemptAt.toISOString(),
  last_status: letter.lastStatus,
  last_error: letter.lastError,
  dead_at: letter.deadAt.toISOString(),
});
