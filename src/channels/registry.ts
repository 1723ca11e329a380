import type { ChannelConnector } from '../ports/channel-connector.ts';
import type { SimulatedChannelOptions } from './simulated-channel.ts';
import { instagram } from './instagram.ts';
import { whatsapp } from './whatsapp.ts';

type ChannelFactory = (options: SimulatedChannelOptions) => ChannelConnector;

/** Every channel the hub knows, by the name clients use. A new channel is one file plus one line here. */
const factories: Record<string, ChannelFactory> = { whatsapp, instagram };

export const channelNames: readonly string[] = Object.keys(factories);

export function createChannels(settings: {
  failureRates: Record<string, number>;
  latencyMs: Record<string, number>;
}): Map<string, ChannelConnector> {
  return new Map(
    channelNames.map((name) => {
      const options = { failureRate: settings.failureRates[name] ?? 0, latencyMs: settings.latencyMs[name] ?? 0 };
      return [name, factories[name]!(options)] as const;
    }),
  );
}
