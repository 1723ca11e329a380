/** The word a client uses to mean "every registered channel". */
export const ALL_CHANNELS = 'all';

/** Expands a message's requested channels to concrete registered channel names, without repeats. */
export function expandChannels(requested: readonly string[], registered: readonly string[]): string[] {
  if (requested.includes(ALL_CHANNELS)) return [...registered];
  return [...new Set(requested)];
}

export function outgoingTopic(channel: string): string {
  return `${channel}_outgoing`;
}

export const MESSAGE_PROCESSING_TOPIC = 'message_processing';
