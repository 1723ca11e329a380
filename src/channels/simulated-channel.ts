import { DeliveryFailure, type ChannelConnector } from '../ports/channel-connector.ts';

export interface SimulatedChannelOptions {
  /** Probability in [0, 1] that a delivery fails. */
  failureRate: number;
  random?: () => number;
}

/** A channel that talks to no provider: it accepts every delivery, or fails some on purpose. */
export function simulatedChannel(
  name: string,
  displayName: string,
  { failureRate, random = Math.random }: SimulatedChannelOptions,
): ChannelConnector {
  return {
    name,
    displayName,
    async send() {
      if (failureRate > 0 && random() < failureRate) {
        throw new DeliveryFailure(`${displayName} rejected the message (simulated failure)`);
      }
    },
  };
}
