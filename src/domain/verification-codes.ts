import { isUuid } from './ids.ts';

/**
 * Written with a claim (in its transaction) on `<channel>_verification_codes`, which that channel's connector
 * consumes: the code to send to the claimed address, as it sends messages. The code is in the clear here, since the
 * provider needs it; the database keeps only its hash, and it is worth nothing once the claim is over or expired.
 */
export interface VerificationCodeEvent {
  user_id: string;
  address: string;
  code: string;
  expires_at: string;
}

export function verificationCodeTopic(channel: string): string {
  return `${channel}_verification_codes`;
}

/** Whether a `<channel>_verification_codes` record's value is a code the connector can send. */
export function isVerificationCodeEvent(value: unknown): value is VerificationCodeEvent {
  const event = value as Partial<VerificationCodeEvent> | null;
  return (
    typeof event === 'object' && event !== null && !Array.isArray(event) && isUuid(event.user_id) &&
    typeof event.address === 'string' && typeof event.code === 'string' &&
    typeof event.expires_at === 'string' && !Number.isNaN(Date.parse(event.expires_at))
  );
}
