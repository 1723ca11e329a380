import { validationError } from './errors.ts';

/**
 * Conversation metadata: `name` and `description`, which the hub knows, and the client's own keys beside them, as
 * chat APIs' custom attributes are. Bounded so that no conversation carries an unbounded document to every member.
 */
export interface ConversationMetadata {
  name?: string;
  description?: string;
  [key: string]: unknown;
}

export const metadataLimits = {
  /** Keys, `name` and `description` included. */
  keys: 50,
  /** Levels of objects and arrays below a key: `{"a": {"b": [1]}}` nests 2 deep. */
  depth: 3,
  /** The whole of it, as UTF-8 JSON. */
  bytes: 8 * 1024,
} as const;

/** Refuses metadata nested deeper or larger than metadataLimits, naming the field that crossed the limit. */
export function checkMetadata(metadata: ConversationMetadata): void {
  for (const [key, value] of Object.entries(metadata)) {
    if (nestsBeyond(value, metadataLimits.depth)) {
      throw validationError(`metadata.${key}`, `must not nest objects or arrays more than ${metadataLimits.depth} levels deep`);
    }
  }
  const bytes = Buffer.byteLength(JSON.stringify(metadata), 'utf8');
  if (bytes > metadataLimits.bytes) {
    throw validationError('metadata', `must be at most ${metadataLimits.bytes} bytes as JSON, not ${bytes}`);
  }
}

/** Stops at the limit: a value nested thousands of levels deep costs no more than one at the limit. */
function nestsBeyond(value: unknown, levelsLeft: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (levelsLeft === 0) return true;
  return Object.values(value).some((inner) => nestsBeyond(inner, levelsLeft - 1));
}
