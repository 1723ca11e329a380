import { outgoingTopic } from '../domain/channels.ts';
import { isDeadLetter, REPLAY_REASON, type DeadLetter } from '../domain/dead-letters.ts';
import type { ChannelDispatchEvent } from '../domain/message-events.ts';
import type { LedgerStore } from '../ports/ledger-store.ts';
import type { ConsumedRecord } from '../ports/message-bus.ts';

/**
 * An operator's second chance for deliveries that failed after every retry (say, once the channel is back): each
 * dead letter's delivery goes back to pending (its message back to in_transit, in its next generation) and its
 * dispatch back on the channel's topic, in one transaction, where the connector sends it again. Replaying again
 * is harmless and finishes an earlier replay that did not: a delivery still pending gets its dispatch again (the
 * connector sends only what is pending), one that moved on since is left alone. A record that is no dead letter
 * (not JSON, another shape) is skipped and counted, so that it cannot hold up the replay of those after it.
 */
export class ReplayDeadLetters {
  readonly #ledger: LedgerStore;
  readonly #channel: string;
  #replayed = 0;
  #skipped = 0;

  constructor(ledger: LedgerStore, channel: string) {
    this.#ledger = ledger;
    this.#channel = channel;
  }

  /** Deliveries sent out again so far. */
  get replayed(): number {
    return this.#replayed;
  }

  /** Records skipped so far for not being dead letters. */
  get skipped(): number {
    return this.#skipped;
  }

  async handle(records: readonly ConsumedRecord[]): Promise<void> {
    const letters = records.flatMap((record): DeadLetter[] => (isDeadLetter(record.value) ? [record.value] : []));
    this.#skipped += records.length - letters.length;
    if (letters.length === 0) return;
    const replayed = await this.#ledger.transaction(async (tx) => {
      const ledger = await tx.load(letters.map((letter) => letter.dispatch.message_id), { deliveries: true });
      const again = new Map<string, ChannelDispatchEvent>();
      let count = 0;
      for (const { dispatch, recipient_id } of letters) {
        if (!ledger.replay({ messageId: dispatch.message_id, channel: this.#channel, recipientId: recipient_id }, REPLAY_REASON)) continue;
        again.set(dispatch.message_id, dispatch);
        count++;
      }
      const dispatches = [...again.values()].map((dispatch) => ({ topic: outgoingTopic(this.#channel), key: dispatch.conversation_id, value: dispatch }));
      await tx.write(ledger, dispatches);
      return count;
    });
    this.#replayed += replayed;
  }
}
