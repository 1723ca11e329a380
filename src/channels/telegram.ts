import { simulatedChannel, type SimulatedChannelOptions } from './simulated-channel.ts';

export const telegram = (options: SimulatedChannelOptions) => simulatedChannel('telegram', 'Telegram', options);
