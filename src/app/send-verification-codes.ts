import { isVerificationCodeEvent, type VerificationCodeEvent } from '../domain/verification-codes.ts';
import type { ChannelConnector } from '../ports/channel-connector.ts';
import type { ConsumedRecord } from '../ports/message-bus.ts';
import { callChannel, type ChannelCalls } from './channel-calls.ts';
import { readableRecords, type Rejection } from './unprocessable-records.ts';

export interface SendCodesOptions {
  connector: ChannelConnector;
  calls: ChannelCalls;
  /** Told of a code not sent: expired before its turn came, or failed after every retry (its user claims again). */
  onNotSent: (event: VerificationCodeEvent, reason: string) => void;
  now?: () => Date;
}

/**
 * A channel connector's other work: sending the verification codes of claims to the claimed addresses, as it sends
 * messages (retried with backoff, behind the same circuit breaker). A code is sent at least once: a batch read
 * again after a crash sends its codes again, which verify the same. Nothing is recorded: the claim holds the code's
 * hash, and a code that did not go out is claimed again by its user once the resend interval passed.
 */
export class SendVerificationCodes {
  readonly #options: SendCodesOptions;

  constructor(options: SendCodesOptions) {
    this.#options = options;
  }

  async handle(records: readonly ConsumedRecord[]): Promise<Rejection[]> {
    const { connector, calls, onNotSent, now = () => new Date() } = this.#options;
    const { readable, rejected } = readableRecords(records, (value) => (isVerificationCodeEvent(value) ? value : undefined), 'verification code');
    await Promise.all(
      readable.map(async ({ value: event }) => {
        // A code that waited out its time (the connector was down) would only confuse whoever gets it.
        if (now() >= new Date(event.expires_at)) return onNotSent(event, `expired at ${event.expires_at} before it was sent`);
        const outcome = await callChannel(() => connector.sendVerificationCode({ userId: event.user_id, address: event.address }, event.code), calls);
        if (!outcome.ok) onNotSent(event, outcome.reason);
      }),
    );
    return rejected;
  }
}
