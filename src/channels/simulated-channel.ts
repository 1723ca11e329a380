import { setTimeout as sleep } from 'node:timers/promises';
import { DeliveryFailure, type ChannelConnector } from '../ports/channel-connector.ts';

export interface SimulatedChannelOptions {
  /** Probability in [0, 1] that a delivery fails. */
  failureRate: number;
  /** How long each delivery takes, as a provider's API call would. */
  latencyMs: number;
  random?: () => number;
}

/** A channel that talks to no provider: it takes `latencyMs` per delivery and fails some on purpose. */
export function simulatedChannel(
  name: string,
  displayName: string,
  { failureRate, latencyMs, random = Math.random }: SimulatedChannelOptions,
): ChannelConnector {
  return {
    name,
    displayName,
    async send() {
      if (latencyMs > 0) await sleep(latencyMs);
      if (failureRate > 0 && random() < failureRate) {
        throw new DeliveryFailure(`${displayName} rejected the message (simulated failure)`);
      }
    },
  };
}
