/** A keyed record on a topic. Records with the same key stay in order. */
export interface BusRecord {
  topic: string;
  key: string;
  /** Any JSON value, or one already serialized (JsonText). Consumers get it parsed. */
  value: unknown;
}

/** A value already in JSON (the outbox reads it as text): published as it is instead of parsed and serialized again. */
export class JsonText {
  readonly json: string;

  constructor(json: string) {
    this.json = json;
  }
}

/** The JSON a bus writes for a record's value. */
export const jsonOf = (value: unknown): string => (value instanceof JsonText ? value.json : JSON.stringify(value));

export interface ConsumedRecord extends BusRecord {
  partition: number;
  offset: string;
}

/**
 * The value of a consumed record that is not JSON (written by something else, or damaged): a bus hands it on as
 * this instead of failing on it, so that the record can be set aside (UnprocessableRecords) rather than read again
 * forever.
 */
export class UnreadableValue {
  /** Why it cannot be read, e.g. "not JSON: Unexpected token…" or "no value". */
  readonly reason: string;
  /** The value as text, when its bytes are UTF-8 text (and hold no NUL). */
  readonly text: string | undefined;
  /** The value's bytes in base64, when they are not such text. */
  readonly base64: string | undefined;

  constructor(reason: string, bytes?: Uint8Array) {
    this.reason = reason;
    const text = bytes === undefined ? undefined : utf8Text(bytes);
    this.text = text;
    this.base64 = bytes !== undefined && text === undefined ? Buffer.from(bytes).toString('base64') : undefined;
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function utf8Text(bytes: Uint8Array): string | undefined {
  try {
    const text = strictUtf8.decode(bytes);
    return text.includes('\0') ? undefined : text;
  } catch {
    return undefined;
  }
}

/** Handles a batch; resolving means its effects are durable and the batch may be acknowledged. */
export type BatchHandler = (records: ConsumedRecord[]) => Promise<void>;

export interface Subscription {
  /** Finishes the batch in hand, releases the partitions and stops. */
  stop(): Promise<void>;
}

/**
 * A partitioned log with consumer groups: every group sees every record at least once, each partition is
 * consumed by one member of a group at a time, and a record not acknowledged is delivered again.
 */
export interface MessageBus {
  publish(records: readonly BusRecord[]): Promise<void>;
  subscribe(group: string, topic: string, handler: BatchHandler): Subscription;
  /** Creates topics ahead of use where the implementation needs it. */
  ensureTopics(topics: readonly string[]): Promise<void>;
  close(): Promise<void>;
}
