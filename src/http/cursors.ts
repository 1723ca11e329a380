import { validationError } from '../domain/errors.ts';
import type { ActivityCursor } from '../ports/conversation-store.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/**
 * A timestamp as PostgreSQL prints it, e.g. "2026-12-01 19:40:00.123456+00" (kept to the microsecond), within what
 * it reads back: there is no year 0 (1 BC is printed "0001 BC") and offsets end at ±15:59.
 */
const TIMESTAMP = /^(?!0000)\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-](0\d|1[0-5])(:\d{2})?$/;

/**
 * Page cursors are opaque to clients (base64url of a small JSON array), so their content can change without
 * breaking anyone; a cursor that does not decode is a 400 on the field that carried it.
 */
export const activityCursor = {
  encode(cursor: ActivityCursor): string {
    return Buffer.from(JSON.stringify([cursor.activityAt, cursor.conversationId])).toString('base64url');
  },

  decode(text: string, field: string): ActivityCursor {
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    } catch {
      parsed = undefined;
    }
    if (
      !Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[0] !== 'string' || typeof parsed[1] !== 'string' ||
      !isTimestamp(parsed[0]) || !UUID.test(parsed[1])
    ) {
      throw validationError(field, 'is not a cursor this API issued');
    }
    return { activityAt: parsed[0], conversationId: parsed[1] };
  },
};

/** PostgreSQL's print of a timestamp whose every field is in range (checked through Date, in ISO form). */
function isTimestamp(text: string): boolean {
  if (!TIMESTAMP.test(text)) return false;
  const iso = text.replace(' ', 'T').replace(/([+-]\d{2})$/, '$1:00').replace(/\.(\d{3})\d*/, '.$1');
  // Date accepts 2026-02-30 (rolling it over): the day must come back unchanged.
  const day = new Date(`${text.slice(0, 10)}T00:00:00Z`);
  return !Number.isNaN(new Date(iso).getTime()) && !Number.isNaN(day.getTime()) && day.toISOString().startsWith(text.slice(0, 10));
}
