/** Where a webhook attempt may connect: the checked addresses of its host, or why it may not connect at all. */
export type Destination = { addresses: string[] } | { refused: string };

/** Decides, for every connection a webhook sender opens, which addresses it may use. */
export interface WebhookDestinations {
  /** `host` is a URL's host name, or an IP address (IPv6 with or without brackets); rejects when it does not resolve. */
  check(host: string): Promise<Destination>;
}
