import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReplayDeadLetters } from '../../src/app/replay-dead-letters.ts';
import type { LedgerStore } from '../../src/ports/ledger-store.ts';
import { UnreadableValue, type ConsumedRecord } from '../../src/ports/message-bus.ts';

const record = (value: unknown, offset: number): ConsumedRecord => ({ topic: 'whatsapp_dead_letter', partition: 0, offset: String(offset), key: 'k', value });

describe('ReplayDeadLetters', () => {
  it('skips and counts records that are no dead letters instead of failing on them', async () => {
    const ledger = {
      transaction: async () => assert.fail('nothing to replay, so no transaction'),
    } as unknown as LedgerStore;
    const replay = new ReplayDeadLetters(ledger, 'whatsapp');
    await replay.handle([
      record(new UnreadableValue('not JSON: Unexpected token', Buffer.from('<xml/>')), 0),
      record(null, 1),
      record({ dispatch: { message_id: 'not-a-uuid' }, recipient_id: 'x' }, 2),
    ]);
    assert.equal(replay.skipped, 3);
    assert.equal(replay.replayed, 0);
  });
});
