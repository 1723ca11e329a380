import { outgoingTopic } from '../domain/channels.ts';
import type { DeadLetter } from '../domain/dead-letters.ts';
import type { DeliveryStore } from '../ports/delivery-store.ts';
import type { ConsumedRecord, MessageBus } from '../ports/message-bus.ts';

export const REPLAY_REASON = 'replayed from the dead-letter topic';

/**
 * An operator's second chance for deliveries that failed after every retry (say, once the channel is back):
 * each dead letter's delivery goes back to pending and its dispatch back on the channel's topic, where the
 * connector sends it again. Replaying twice is harmless: a delivery no longer failed is left alone.
 */
export class ReplayDeadLetters {
  readonly #deliveries: DeliveryStore;
  readonly #bus: MessageBus;
  readonly #channel: string;
  #replayed = 0;

  constructor(deliveries: DeliveryStore, bus: MessageBus, channel: string) {
    this.#deliveries = deliveries;
    this.#bus = bus;
    this.#channel = channel;
  }

  /** Deliveries put back to pending so far. */
  get replayed(): number {
    return this.#replayed;
  }

  async handle(records: ConsumedRecord[]): Promise<void> {
    const letters = records.map((record) => record.value as DeadLetter);
    const requeued = await this.#deliveries.requeueFailed(
      this.#channel,
      letters.map((letter) => ({ messageId: letter.dispatch.message_id, recipientId: letter.recipient_id })),
      REPLAY_REASON,
    );
    const again = new Set(requeued.map((ref) => ref.messageId));
    const dispatches = new Map(letters.filter((l) => again.has(l.dispatch.message_id)).map((l) => [l.dispatch.message_id, l.dispatch]));
    // After the requeue committed: a crash in between leaves pending deliveries that the next replay sends.
    await this.#bus.publish(
      [...dispatches.values()].map((dispatch) => ({ topic: outgoingTopic(this.#channel), key: dispatch.conversation_id, value: dispatch })),
    );
    this.#replayed += requeued.length;
  }
}
