import type { ChannelStatusReport } from '../ports/channel-connector.ts';
import type { DeliveryEvent, DeliveryStore } from '../ports/delivery-store.ts';

/** Applies what channels report about deliveries (delivered, read, failed), named by the channels' own ids. */
export class RecordChannelEvents {
  readonly #deliveries: DeliveryStore;

  constructor(deliveries: DeliveryStore) {
    this.#deliveries = deliveries;
  }

  /** Returns the reports naming no delivery the hub knows, e.g. one that arrived before its hand-over was recorded. */
  async record(channel: string, reports: readonly ChannelStatusReport[]): Promise<ChannelStatusReport[]> {
    if (reports.length === 0) return [];
    const refs = await this.#deliveries.findByProviderIds(channel, [...new Set(reports.map((r) => r.providerMessageId))]);
    const events: DeliveryEvent[] = [];
    const unmatched: ChannelStatusReport[] = [];
    for (const report of reports) {
      const ref = refs.get(report.providerMessageId);
      if (!ref) {
        unmatched.push(report);
        continue;
      }
      events.push({ ...ref, status: report.status, reason: report.reason ?? null, channelAt: report.at });
    }
    await this.#deliveries.recordDeliveryEvents(channel, events);
    return unmatched;
  }
}
