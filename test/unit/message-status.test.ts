import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  DeliveryStatuses,
  MessageStatuses,
  predecessorsOf,
  settledStatus,
  type DeliveryStatus,
} from '../../src/domain/message-status.ts';

const deliveryStatus = fc.constantFrom(...DeliveryStatuses);

describe('predecessorsOf', () => {
  it('allows nothing to move into accepted, the first status', () => {
    assert.deepEqual(predecessorsOf('accepted'), []);
  });

  it('allows only accepted to move into in_transit', () => {
    assert.deepEqual(predecessorsOf('in_transit'), ['accepted']);
  });

  it('allows accepted and in_transit to move into delivered', () => {
    assert.deepEqual(predecessorsOf('delivered'), ['accepted', 'in_transit']);
  });

  it('allows accepted and in_transit to move into failed', () => {
    assert.deepEqual(predecessorsOf('failed'), ['accepted', 'in_transit']);
  });

  it('never lists a status as its own predecessor', () => {
    for (const status of MessageStatuses) {
      assert.ok(!predecessorsOf(status).includes(status), status);
    }
  });

  it('never allows a move out of a final status (delivered or failed)', () => {
    for (const next of MessageStatuses) {
      const from = predecessorsOf(next);
      assert.ok(!from.includes('delivered'), `delivered → ${next}`);
      assert.ok(!from.includes('failed'), `failed → ${next}`);
    }
  });

  it('never allows a move backwards: if a may move to b, b may not move to a', () => {
    for (const a of MessageStatuses) {
      for (const b of predecessorsOf(a)) {
        assert.ok(!predecessorsOf(b).includes(a), `${a} ⇄ ${b}`);
      }
    }
  });
});

describe('settledStatus', () => {
  it('is undefined when there are no deliveries', () => {
    assert.equal(settledStatus([]), undefined);
  });

  it('is delivered when every delivery is delivered', () => {
    assert.equal(settledStatus(['delivered', 'delivered', 'delivered']), 'delivered');
  });

  it('is failed when a single delivery failed', () => {
    assert.equal(settledStatus(['failed']), 'failed');
  });

  it('is failed when any delivery failed and none is pending', () => {
    assert.equal(settledStatus(['delivered', 'failed', 'delivered']), 'failed');
  });

  it('is undefined while a delivery is still pending, even if another already failed', () => {
    assert.equal(settledStatus(['failed', 'pending']), undefined);
  });

  it('is undefined while a delivery is still pending, even if the others were delivered', () => {
    assert.equal(settledStatus(['delivered', 'delivered', 'pending']), undefined);
  });

  it('is undefined for any list that contains a pending delivery (property)', () => {
    fc.assert(
      fc.property(fc.array(deliveryStatus, { maxLength: 30 }), fc.nat(), (others: DeliveryStatus[], at: number) => {
        const deliveries = [...others];
        deliveries.splice(at % (others.length + 1), 0, 'pending');
        assert.equal(settledStatus(deliveries), undefined);
      }),
    );
  });

  it('is failed for any list of settled deliveries that contains a failure (property)', () => {
    const settled = fc.constantFrom<DeliveryStatus>('delivered', 'failed');
    fc.assert(
      fc.property(fc.array(settled, { maxLength: 30 }), fc.nat(), (others: DeliveryStatus[], at: number) => {
        const deliveries = [...others];
        deliveries.splice(at % (others.length + 1), 0, 'failed');
        assert.equal(settledStatus(deliveries), 'failed');
      }),
    );
  });

  it('is delivered for any non-empty list of delivered deliveries (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), (count: number) => {
        assert.equal(settledStatus(Array<DeliveryStatus>(count).fill('delivered')), 'delivered');
      }),
    );
  });

  it('does not depend on the order of the deliveries (property)', () => {
    fc.assert(
      fc.property(fc.array(deliveryStatus, { maxLength: 30 }), (deliveries: DeliveryStatus[]) => {
        assert.equal(settledStatus([...deliveries].reverse()), settledStatus(deliveries));
        assert.equal(settledStatus([...deliveries].sort()), settledStatus(deliveries));
      }),
    );
  });

  it('only ever settles on a final status (delivered or failed)', () => {
    fc.assert(
      fc.property(fc.array(deliveryStatus, { minLength: 1, maxLength: 30 }), (deliveries: DeliveryStatus[]) => {
        const status = settledStatus(deliveries);
        assert.ok(status === undefined || status === 'delivered' || status === 'failed');
      }),
    );
  });
});
