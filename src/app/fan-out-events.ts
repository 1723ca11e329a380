import { eventsOfRecord, HubEventTypes, type HubEvent, type HubEventsRecord } from '../domain/hub-events.ts';
import { isUuid } from '../domain/ids.ts';
import type { ConsumedRecord } from '../ports/message-bus.ts';
import type { UserEventStore } from '../ports/user-event-store.ts';
import { readableRecords, unknownHere, type Rejection } from './unprocessable-records.ts';

/**
 * The notifier: stores each hub event once and appends it to the feed of every user in its audience. A
 * redelivered batch adds nothing (events are keyed by the fact they announce). A record that is not a hub event,
 * or whose conversation this database does not have (a bus that outlived its database), is rejected.
 */
export class FanOutEvents {
  readonly #feeds: UserEventStore;

  constructor(feeds: UserEventStore) {
    this.#feeds = feeds;
  }

  async handle(records: readonly ConsumedRecord[]): Promise<Rejection[]> {
    const { readable, rejected } = readableRecords(records, hubEventsOf, 'hub event');
    const unknown = new Set(await this.#feeds.append(readable.flatMap(({ value: events }) => events)));
    for (const { record, value: events } of readable) {
      const missing = events.find((event) => unknown.has(event.conversation_id));
      if (missing) rejected.push(unknownHere(record, 'conversation', missing.conversation_id));
    }
    return rejected;
  }
}

function hubEventsOf(value: unknown): HubEvent[] | undefined {
  const events = isEventsRecord(value) ? eventsOfRecord(value) : undefined;
  return events?.every(isHubEvent) ? events : undefined;
}

function isEventsRecord(value: unknown): value is HubEventsRecord | HubEvent {
  return typeof value === 'object' && value !== null && (Array.isArray((value as HubEventsRecord).events) || 'type' in value);
}

function isHubEvent(value: unknown): value is HubEvent {
  const event = value as Partial<HubEvent> | null;
  return (
    typeof event === 'object' && event !== null &&
    HubEventTypes.includes(event.type as never) &&
    typeof event.key === 'string' &&
    isUuid(event.conversation_id) &&
    (event.audience === 'members' || (Array.isArray(event.audience) && event.audience.every(isUuid))) &&
    typeof event.occurred_at === 'string' && !Number.isNaN(Date.parse(event.occurred_at))
  );
}
