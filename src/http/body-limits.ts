const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * The most bytes of JSON each kind of route reads. Every byte read is parsed and validated, so a route takes no
 * more than its largest valid body, with room for escapes: a login is a name and a password; a message is at most
 * 4,096 characters (some 50 KB if each is sent as a \u escape pair), and no other /v1 body comes near that.
 */
export const BodyLimits = {
  /** POST /auth/token. */
  login: 8 * KiB,
  /** Every other JSON body of the API. */
  api: 64 * KiB,
  /** A channel provider's signed webhook: a batch of status reports and messages the hub does not size. */
  channelWebhook: 1 * MiB,
} as const;

/** "8 KiB", "1 MiB": how problem details name a limit. */
export function bytesText(bytes: number): string {
  return bytes % MiB === 0 ? `${bytes / MiB} MiB` : `${Math.round(bytes / KiB)} KiB`;
}
