import type { Hub } from '../main.ts';

/** A running role: one small start function returns this. */
export interface RunningRole {
  name: string;
  /** Stops taking new work and finishes or releases what is in hand. */
  stop(): Promise<void>;
}

export type Role = (hub: Hub) => Promise<RunningRole>;
