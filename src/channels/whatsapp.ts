import { simulatedChannel, type SimulatedChannelOptions } from './simulated-channel.ts';

export const whatsapp = (options: SimulatedChannelOptions) => simulatedChannel('whatsapp', 'WhatsApp', options);
