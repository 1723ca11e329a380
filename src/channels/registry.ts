import type { ChannelConnector } from '../ports/channel-connector.ts';
import type { ProviderSinks, SimulatedChannelOptions } from './simulated-channel.ts';
import { instagram } from './instagram.ts';
import { telegram } from './telegram.ts';
import { whatsapp } from './whatsapp.ts';

type ChannelFactory = (options: SimulatedChannelOptions) => ChannelConnector;

/** Every channel the hub knows, by the name clients use. A new channel is one file plus one line here. */
const factories: Record<string, ChannelFactory> = { whatsapp, instagram, telegram };

export const channelNames: readonly string[] = Object.keys(factories);

/** How the simulated channels behave, per channel name. */
export interface SimulationSettings {
  failureRates: Record<string, number>;
  latencyMs: Record<string, number>;
  deliveredAfterMs: Record<string, number>;
  readAfterMs: Record<string, number>;
  /** Inbound webhook secrets; a channel without one takes no inbound webhooks. */
  webhookSecrets: Record<string, string>;
  webhookToleranceSeconds: number;
}

/** The enabled channels (registered names, checked by the config), in the order given. */
export function createChannels(enabled: readonly string[], settings: SimulationSettings, sinks: ProviderSinks): Map<string, ChannelConnector> {
  return new Map(
    enabled.map((name) => {
      const options: SimulatedChannelOptions = {
        failureRate: settings.failureRates[name] ?? 0,
        latencyMs: settings.latencyMs[name] ?? 0,
        deliveredAfterMs: settings.deliveredAfterMs[name] ?? 0,
        readAfterMs: settings.readAfterMs[name],
        ...sinks,
        webhookSecret: settings.webhookSecrets[name],
        webhookToleranceSeconds: settings.webhookToleranceSeconds,
      };
      return [name, factories[name]!(options)] as const;
    }),
  );
}
