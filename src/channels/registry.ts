import type { ChannelConnector, StatusSink } from '../ports/channel-connector.ts';
import type { SimulatedChannelOptions } from './simulated-channel.ts';
import { instagram } from './instagram.ts';
import { whatsapp } from './whatsapp.ts';

type ChannelFactory = (options: SimulatedChannelOptions) => ChannelConnector;

/** Every channel the hub knows, by the name clients use. A new channel is one file plus one line here. */
const factories: Record<string, ChannelFactory> = { whatsapp, instagram };

export const channelNames: readonly string[] = Object.keys(factories);

/** How the simulated channels behave, per channel name. */
export interface SimulationSettings {
  failureRates: Record<string, number>;
  latencyMs: Record<string, number>;
  deliveredAfterMs: Record<string, number>;
  readAfterMs: Record<string, number>;
}

export function createChannels(settings: SimulationSettings, report: StatusSink): Map<string, ChannelConnector> {
  return new Map(
    channelNames.map((name) => {
      const options: SimulatedChannelOptions = {
        failureRate: settings.failureRates[name] ?? 0,
        latencyMs: settings.latencyMs[name] ?? 0,
        deliveredAfterMs: settings.deliveredAfterMs[name] ?? 0,
        readAfterMs: settings.readAfterMs[name],
        report,
      };
      return [name, factories[name]!(options)] as const;
    }),
  );
}
