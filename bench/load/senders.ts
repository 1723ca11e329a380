import { randomUUID } from 'node:crypto';

/** A signed-in user of the hub and the conversations it sends into. */
export interface Sender {
  token: string;
  userId: string;
  conversations: string[];
}

/** Text of every benchmark message: about the size of a short chat message. */
export const MESSAGE_TEXT = 'Benchmark message: olá, this is a short chat line of about a hundred characters, as people send.';

/**
 * Cycles through (sender, conversation) pairs and builds a fresh, valid POST /v1/messages body for each
 * request: a new message_id every time, as a client sends new messages.
 */
export function messageBodies(senders: readonly Sender[]): () => { token: string; body: string; messageId: string } {
  const pairs = senders.flatMap((sender) => sender.conversations.map((conversationId) => ({ sender, conversationId })));
  let next = 0;
  return () => {
    const { sender, conversationId } = pairs[next++ % pairs.length]!;
    const messageId = randomUUID();
    const body = JSON.stringify({
      message_id: messageId,
      conversation_id: conversationId,
      from: sender.userId,
      channels: ['whatsapp'],
      payload: { type: 'text', text: MESSAGE_TEXT },
      priority: 'normal',
    });
    return { token: sender.token, body, messageId };
  };
}
