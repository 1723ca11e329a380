import { isUuid } from './ids.ts';
import { isChannelDispatchEvent, type ChannelDispatchEvent } from './message-events.ts';

/**
 * A delivery that failed after every retry, kept on `<channel>_dead_letter` with what it takes to try again:
 * `chat4all dead-letters replay <channel>` puts it back on the channel's topic.
 */
export interface DeadLetter {
  dispatch: ChannelDispatchEvent;
  recipient_id: string;
  reason: string;
  attempts: number;
  failed_at: string;
}

export function deadLetterTopic(channel: string): string {
  return `${channel}_dead_letter`;
}

/** Why a replayed delivery and its message moved back from failed: the one, deliberate way back. */
export const REPLAY_REASON = 'replayed from the dead-letter topic';

/** Whether a `<channel>_dead_letter` record's value is a dead letter the replay can use. */
export function isDeadLetter(value: unknown): value is DeadLetter {
  const letter = value as Partial<DeadLetter> | null;
  return typeof letter === 'object' && letter !== null && isChannelDispatchEvent(letter.dispatch) && isUuid(letter.recipient_id);
}
