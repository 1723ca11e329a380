/**
 * The one form of an id the hub answers, stores, compares and logs: a UUID is case-insensitive (and JSON Schema's
 * `uuid` format also takes a `urn:uuid:` prefix), but ids travel as text, so "F00…" and "f00…" must not be two ids.
 */
export const canonicalUuid = (id: string): string => id.replace(/^urn:uuid:/i, '').toLowerCase();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);
