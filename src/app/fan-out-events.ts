import type { HubEvent } from '../domain/hub-events.ts';
import type { DeliveryStore } from '../ports/delivery-store.ts';
import type { ConsumedRecord } from '../ports/message-bus.ts';
import type { UserEventEntry, UserEventStore } from '../ports/user-event-store.ts';

/**
 * The notifier: puts each hub event into the feed of every user in its audience. A redelivered batch adds
 * nothing (entries are keyed by the fact they announce).
 */
export class FanOutEvents {
  readonly #deliveries: DeliveryStore;
  readonly #feeds: UserEventStore;

  constructor(deliveries: DeliveryStore, feeds: UserEventStore) {
    this.#deliveries = deliveries;
    this.#feeds = feeds;
  }

  async handle(records: ConsumedRecord[]): Promise<void> {
    const events = records.map((record) => record.value as HubEvent);
    const conversations = [...new Set(events.filter((e) => e.audience === 'members').map((e) => e.conversation_id))];
    const members = conversations.length > 0 ? await this.#deliveries.members(conversations) : new Map<string, string[]>();
    const entries: UserEventEntry[] = events.flatMap((event) => {
      const audience = event.audience === 'members' ? (members.get(event.conversation_id) ?? []) : event.audience;
      return audience.map((userId) => ({
        userId,
        key: event.key,
        type: event.type,
        occurredAt: new Date(event.occurred_at),
        data: event.data,
      }));
    });
    await this.#feeds.append(entries);
  }
}
