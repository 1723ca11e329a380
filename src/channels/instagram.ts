import { simulatedChannel, type SimulatedChannelOptions } from './simulated-channel.ts';

export const instagram = (options: SimulatedChannelOptions) => simulatedChannel('instagram', 'Instagram', options);
