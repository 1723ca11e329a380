import type { ChannelStatusReport } from '../ports/channel-connector.ts';
import type { LedgerStore } from '../ports/ledger-store.ts';

/** Applies what channels report about deliveries (delivered, read, failed), named by the channels' own ids. */
export class RecordChannelEvents {
  readonly #ledger: LedgerStore;

  constructor(ledger: LedgerStore) {
    this.#ledger = ledger;
  }

  /** Returns the reports naming no delivery the hub knows, e.g. one that arrived before its hand-over was recorded. */
  async record(channel: string, reports: readonly ChannelStatusReport[]): Promise<ChannelStatusReport[]> {
    if (reports.length === 0) return [];
    const refs = await this.#ledger.findByProviderIds(channel, [...new Set(reports.map((r) => r.providerMessageId))]);
    const matched = reports.filter((report) => refs.has(report.providerMessageId));
    if (matched.length > 0) {
      await this.#ledger.transaction(async (tx) => {
        const ledger = await tx.load([...refs.values()].map((ref) => ref.messageId), { deliveries: true });
        // In the order reported: a delivered then read for one delivery moves it twice.
        for (const report of matched) {
          ledger.step(refs.get(report.providerMessageId)!, { status: report.status, reason: report.reason ?? null, channelAt: report.at });
        }
        await tx.write(ledger);
      });
    }
    return reports.filter((report) => !refs.has(report.providerMessageId));
  }
}
