import { expandChannels, outgoingTopic } from '../domain/channels.ts';
import type { MessageState, RouteLeg } from '../domain/ledger.ts';
import { isUuid } from '../domain/ids.ts';
import { isMessageAcceptedEvent, type ChannelDispatchEvent } from '../domain/message-events.ts';
import type { LedgerStore } from '../ports/ledger-store.ts';
import type { BusRecord, ConsumedRecord } from '../ports/message-bus.ts';
import type { FileAvailability } from './file-availability.ts';
import { readableRecords, unknownHere, type Rejection } from './unprocessable-records.ts';

/** What the router tells its operator about each message it routed. */
export interface RouteReport {
  routed(message: MessageState, channels: readonly string[]): void;
  /** FR-029: a file message failed because its object is not in storage. */
  fileMissing(message: MessageState, fileId: string, reason: string): void;
}

/**
 * The router: for each accepted message, plans one delivery per channel and recipient (every member but the
 * sender), moves the message to in_transit and hands it to each channel's topic, keyed by conversation, all in one
 * transaction with the records announcing it. A file message whose object is not in storage is not routed: its
 * deliveries fail with the reason. A record seen again finds its message routed already and changes nothing; a
 * record naming a message the database does not have, or that is no message_processing record, is rejected.
 */
export class RouteMessages {
  readonly #ledger: LedgerStore;
  readonly #channels: readonly string[];
  readonly #files: FileAvailability;
  readonly #report: RouteReport;

  constructor(ledger: LedgerStore, registeredChannels: readonly string[], files: FileAvailability, report: RouteReport) {
    this.#ledger = ledger;
    this.#channels = registeredChannels;
    this.#files = files;
    this.#report = report;
  }

  async handle(records: readonly ConsumedRecord[]): Promise<Rejection[]> {
    const { readable: accepted, rejected } = readableRecords(records, (value) => (isMessageAcceptedEvent(value) ? value : undefined), 'message_processing');
    if (accepted.length === 0) return rejected;
    const fileIds = accepted.flatMap(({ value: event }) => (event.payload?.type === 'file' && isUuid(event.payload.file_id) ? [event.payload.file_id] : []));
    const unavailable = fileIds.length > 0 ? await this.#files.problems(fileIds) : new Map<string, string>();
    const routed: Array<{ message: MessageState; channels: string[]; fileProblem?: string }> = [];
    await this.#ledger.transaction(async (tx) => {
      const ledger = await tx.load(accepted.map(({ value: event }) => event.message_id), { members: true });
      const dispatches: BusRecord[] = [];
      for (const { record, value: event } of accepted) {
        const message = ledger.message(event.message_id);
        if (!message) {
          rejected.push(unknownHere(record, 'message', event.message_id));
          continue;
        }
        const recipients = message.members!.filter((member) => member !== message.from);
        const channels = expandChannels(message.channels, this.#channels);
        const fileProblem = message.payload.type === 'file' ? unavailable.get(message.payload.file_id) : undefined;
        const legs: RouteLeg[] = channels.map((channel) => {
          const failure = fileProblem ?? (this.#channels.includes(channel) ? undefined : `channel "${channel}" is not registered`);
          return { channel, recipients, ...(failure ? { failure } : {}) };
        });
        if (!ledger.route(message.messageId, legs)) continue;
        for (const leg of legs) if (!leg.failure) dispatches.push(dispatch(message, leg.channel, recipients));
        routed.push({ message, channels, ...(fileProblem ? { fileProblem } : {}) });
      }
      await tx.write(ledger, dispatches);
    });
    for (const { message, channels, fileProblem } of routed) {
      if (fileProblem && message.payload.type === 'file') this.#report.fileMissing(message, message.payload.file_id, fileProblem);
      else this.#report.routed(message, channels);
    }
    return rejected;
  }
}

function dispatch(message: MessageState, channel: string, recipients: string[]): BusRecord {
  const value: ChannelDispatchEvent = {
    message_id: message.messageId,
    conversation_id: message.conversationId,
    seq: message.seq,
    from: message.from,
    channel,
    recipients,
    payload: message.payload,
    priority: message.priority,
  };
  return { topic: outgoingTopic(channel), key: message.conversationId, value };
}
