import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DomainError } from '../../src/domain/errors.ts';
import { activityCursor } from '../../src/http/cursors.ts';

const id = '5c4b3a29-1807-4f6e-9d5c-4b3a2918f7e6';

describe('activityCursor', () => {
  it('decodes what it encoded, keeping microseconds', () => {
    const cursor = { activityAt: '2026-12-01 19:40:00.123456+00', conversationId: id };
    assert.deepEqual(activityCursor.decode(activityCursor.encode(cursor), 'cursor'), cursor);
  });

  for (const activityAt of [
    '2026-02-30 10:00:00+00',
    '2026-13-01 10:00:00+00',
    '2026-12-01 25:00:00+00',
    'yesterday',
    '0000-06-01 10:00:00+00',
    '2026-12-01 10:00:00+16',
  ]) {
    it(`rejects the impossible time "${activityAt}" on the named field`, () => {
      const text = activityCursor.encode({ activityAt, conversationId: id });
      assert.throws(() => activityCursor.decode(text, 'cursor'), (error: DomainError) => error.fieldErrors?.cursor !== undefined);
    });
  }

  it('either decodes or throws a validation error for any string (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string().map((s) => Buffer.from(s).toString('base64url'))), (text: string) => {
        try {
          activityCursor.decode(text, 'cursor');
        } catch (error) {
          assert.ok(error instanceof DomainError && error.code === 'VALIDATION_FAILED');
        }
      }),
    );
  });
});
