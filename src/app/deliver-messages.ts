import { deadLetterTopic, type DeadLetter } from '../domain/dead-letters.ts';
import type { DeliveryStep } from '../domain/ledger.ts';
import { isChannelDispatchEvent, type ChannelDispatchEvent } from '../domain/message-events.ts';
import type { ChannelConnector, ChannelRecipient } from '../ports/channel-connector.ts';
import type { HandOver, LedgerStore, PendingDelivery } from '../ports/ledger-store.ts';
import type { BusRecord, ConsumedRecord } from '../ports/message-bus.ts';
import { callChannel, type ChannelCalls } from './channel-calls.ts';
import { HandOverRecorder } from './hand-over-recorder.ts';
import { readableRecords, unknownHere, type Rejection } from './unprocessable-records.ts';

/**
 * Hand-overs a connector may have under way or made and not recorded: what a crash makes it repeat at most (their
 * lines are printed again; 16 is under 1 % of 4,000 lines).
 */
const UNRECORDED_HAND_OVERS = 16;

export interface DeliverOptions {
  ledger: LedgerStore;
  connector: ChannelConnector;
  /** How the channel is called: its retries and circuit breaker. */
  calls: ChannelCalls;
  /** Told of each delivery that failed, once its failure is recorded. */
  onFailed: (event: ChannelDispatchEvent, recipientId: string, reason: string) => void;
}

/** How one delivery's hand-over went, and whether it failed after every retry (a dead letter). */
interface Attempted {
  event: ChannelDispatchEvent;
  pending: PendingDelivery;
  step: DeliveryStep;
  exhausted?: { attempts: number };
}

/**
 * A channel connector's work: hand each pending delivery of the dispatched messages to the channel (retrying
 * transient failures with backoff, not calling it while the circuit is open), record what the channel answered as
 * it goes (HandOverRecorder), then settle the batch's messages in one transaction. The channel call comes first, as
 * with any provider: a crash between the two leaves the delivery pending, and it is handed over again when its
 * record comes back (at least once; the recorder bounds how many).
 * A delivery that still fails after every retry is failed with its reason and put on the channel's dead-letter
 * topic, from where an operator can replay it. A redelivered record finds nothing pending and has no effect.
 * A record that is no dispatch, or names a message the database does not have, is rejected: messages are never
 * deleted and the router writes a dispatch with the deliveries it plans, so only a bus that outlived its database
 * (or a stranger's producer) holds one, and the operator should hear of it.
 */
export class DeliverMessages {
  readonly #options: DeliverOptions;

  constructor(options: DeliverOptions) {
    this.#options = options;
  }

  async handle(records: readonly ConsumedRecord[]): Promise<Rejection[]> {
    const { ledger, connector, onFailed } = this.#options;
    const { readable: dispatches, rejected } = readableRecords(records, (value) => (isChannelDispatchEvent(value) ? value : undefined), 'channel dispatch');
    if (dispatches.length === 0) return rejected;
    const events = new Map(dispatches.map(({ value: event }) => [event.message_id, event] as const));
    const pending = await ledger.pendingDeliveries([...events.keys()], connector.name);
    // In batch order within a conversation, so each recipient gets its messages in order; conversations in parallel.
    const order = new Map([...events.keys()].map((id, i) => [id, i]));
    pending.sort((a, b) => order.get(a.messageId)! - order.get(b.messageId)!);
    const byConversation = Map.groupBy(pending, ({ messageId }) => events.get(messageId)!.conversation_id);
    const recorder = new HandOverRecorder(ledger, connector.name, UNRECORDED_HAND_OVERS);
    await Promise.all(
      [...byConversation.values()].map(async (deliveries) => {
        for (const delivery of deliveries) {
          await recorder.reserve();
          recorder.add(handOver(connector.name, await this.#send(events.get(delivery.messageId)!, delivery)));
        }
      }),
    );
    const recorded = await recorder.done();
    // Every message of the batch, also when nothing was pending: a batch seen again after a crash that fell between
    // recording its hand-overs and settling their messages settles them now.
    const unknown = await ledger.transaction(async (tx) => {
      const book = await tx.load([...events.keys()], { deliveries: true });
      book.settleHandOvers(connector.name);
      await tx.write(book);
      return new Set([...events.keys()].filter((messageId) => !book.message(messageId)));
    });
    for (const { messageId, recipientId, step } of recorded) {
      if (step.status === 'failed') onFailed(events.get(messageId)!, recipientId, step.reason ?? 'failed');
    }
    for (const { record, value: event } of dispatches) {
      if (unknown.has(event.message_id)) rejected.push(unknownHere(record, 'message', event.message_id));
    }
    return rejected;
  }

  /** Sends one delivery (callChannel): the step is sent (or delivered, when the channel says so at once), or failed. */
  async #send(event: ChannelDispatchEvent, pending: PendingDelivery): Promise<Attempted> {
    const { connector } = this.#options;
    const recipient: ChannelRecipient = { userId: pending.recipientId, address: pending.address };
    const outcome = await callChannel(
      () => (event.payload.type === 'file' ? connector.sendFile(event, recipient) : connector.send(event, recipient)),
      this.#options.calls,
    );
    if (!outcome.ok) {
      const step: DeliveryStep = { status: 'failed', reason: outcome.reason, channelAt: new Date() };
      return { event, pending, step, ...(outcome.exhausted ? { exhausted: { attempts: outcome.attempts } } : {}) };
    }
    const receipt = outcome.value;
    const step: DeliveryStep = {
      status: receipt.status,
      sentToo: receipt.status === 'delivered',
      providerMessageId: receipt.providerMessageId,
      channelAt: new Date(),
    };
    return { event, pending, step };
  }
}

/** The hand-over to record, with its dead letter when it failed after every retry. */
function handOver(channel: string, attempt: Attempted): HandOver {
  const { pending, step, exhausted } = attempt;
  return { messageId: pending.messageId, recipientId: pending.recipientId, step, ...(exhausted ? { record: deadLetterRecord(channel, attempt) } : {}) };
}

function deadLetterRecord(channel: string, attempt: Attempted): BusRecord {
  const value: DeadLetter = {
    dispatch: attempt.event,
    recipient_id: attempt.pending.recipientId,
    reason: attempt.step.reason ?? 'failed',
    attempts: attempt.exhausted!.attempts,
    failed_at: new Date().toISOString(),
  };
  return { topic: deadLetterTopic(channel), key: attempt.event.conversation_id, value };
}
