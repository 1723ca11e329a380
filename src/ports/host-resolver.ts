/** Resolves host names the way the system does (hosts file, then DNS). */
export interface HostResolver {
  /** Every address of `host` (an IP address resolves to itself); rejects when there is none. */
  addresses(host: string): Promise<string[]>;
}
