import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  DeliveryStatuses,
  MessageStatuses,
  deliveryPredecessorsOf,
  deliverySummary,
  predecessorsOf,
  settledStatus,
  type DeliveryStatus,
} from '../../src/domain/message-status.ts';

const deliveryStatus = fc.constantFrom(...DeliveryStatuses);

describe('predecessorsOf (message aggregate)', () => {
  it('allows nothing to move into accepted, the first status', () => {
    assert.deepEqual(predecessorsOf('accepted'), []);
  });

  it('allows only accepted to move into in_transit', () => {
    assert.deepEqual(predecessorsOf('in_transit'), ['accepted']);
  });

  it('allows accepted and in_transit to move into delivered', () => {
    assert.deepEqual(predecessorsOf('delivered'), ['accepted', 'in_transit']);
  });

  it('allows accepted, in_transit and delivered to move into read', () => {
    assert.deepEqual(predecessorsOf('read'), ['accepted', 'in_transit', 'delivered']);
  });

  it('allows accepted and in_transit to move into failed', () => {
    assert.deepEqual(predecessorsOf('failed'), ['accepted', 'in_transit']);
  });

  it('never lists a status as its own predecessor', () => {
    for (const status of MessageStatuses) {
      assert.ok(!predecessorsOf(status).includes(status), status);
    }
  });

  it('never allows a move out of read or failed', () => {
    for (const next of MessageStatuses) {
      const from = predecessorsOf(next);
      assert.ok(!from.includes('read'), `read → ${next}`);
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

describe('deliveryPredecessorsOf (one channel, one recipient)', () => {
  it('allows pending to move into sent', () => {
    assert.deepEqual(deliveryPredecessorsOf('sent'), ['pending']);
  });

  it('allows pending and sent to move into delivered (a channel may skip sent)', () => {
    assert.deepEqual(deliveryPredecessorsOf('delivered'), ['pending', 'sent']);
  });

  it('allows pending, sent and delivered to move into read', () => {
    assert.deepEqual(deliveryPredecessorsOf('read'), ['pending', 'sent', 'delivered']);
  });

  it('allows only pending and sent to fail: what reached the recipient cannot fail afterwards', () => {
    assert.deepEqual(deliveryPredecessorsOf('failed'), ['pending', 'sent']);
  });

  it('does not let a late delivered overwrite read', () => {
    assert.ok(!deliveryPredecessorsOf('delivered').includes('read'));
  });

  it('never allows a move backwards or a repeat (property)', () => {
    fc.assert(
      fc.property(deliveryStatus, deliveryStatus, (a: DeliveryStatus, b: DeliveryStatus) => {
        if (deliveryPredecessorsOf(b).includes(a)) assert.ok(!deliveryPredecessorsOf(a).includes(b), `${a} ⇄ ${b}`);
        assert.ok(!deliveryPredecessorsOf(a).includes(a), `${a} → ${a}`);
      }),
    );
  });

  it('ends in the same status for any order of the same events, once read or failed is among them (property)', () => {
    const apply = (events: DeliveryStatus[]) =>
      events.reduce<DeliveryStatus>((current, next) => (deliveryPredecessorsOf(next).includes(current) ? next : current), 'pending');
    fc.assert(
      fc.property(fc.shuffledSubarray(['sent', 'delivered', 'read'] as DeliveryStatus[], { minLength: 1 }), (events: DeliveryStatus[]) => {
        const final = apply(events);
        assert.equal(final, events.includes('read') ? 'read' : events.includes('delivered') ? 'delivered' : 'sent');
      }),
    );
  });
});

describe('settledStatus', () => {
  it('is undefined when there are no deliveries', () => {
    assert.equal(settledStatus([]), undefined);
  });

  it('is delivered when every delivery is delivered', () => {
    assert.equal(settledStatus(['delivered', 'delivered', 'delivered']), 'delivered');
  });

  it('is delivered when every delivery is delivered or read, but not all are read', () => {
    assert.equal(settledStatus(['read', 'delivered']), 'delivered');
  });

  it('is read when every delivery is read', () => {
    assert.equal(settledStatus(['read', 'read']), 'read');
  });

  it('is failed when a single delivery failed', () => {
    assert.equal(settledStatus(['failed']), 'failed');
  });

  it('is failed when any delivery failed and none is pending or sent', () => {
    assert.equal(settledStatus(['delivered', 'failed', 'read']), 'failed');
  });

  it('is undefined while a delivery is still pending, even if another already failed', () => {
    assert.equal(settledStatus(['failed', 'pending']), undefined);
  });

  it('is undefined while a delivery is only sent (handed over, not yet delivered)', () => {
    assert.equal(settledStatus(['delivered', 'sent']), undefined);
  });

  it('is undefined for any list that contains a pending or sent delivery (property)', () => {
    fc.assert(
      fc.property(
        fc.array(deliveryStatus, { maxLength: 30 }),
        fc.nat(),
        fc.constantFrom<DeliveryStatus>('pending', 'sent'),
        (others: DeliveryStatus[], at: number, unsettled: DeliveryStatus) => {
          const deliveries = [...others];
          deliveries.splice(at % (others.length + 1), 0, unsettled);
          assert.equal(settledStatus(deliveries), undefined);
        },
      ),
    );
  });

  it('is failed for any list of settled deliveries that contains a failure (property)', () => {
    const settled = fc.constantFrom<DeliveryStatus>('delivered', 'read', 'failed');
    fc.assert(
      fc.property(fc.array(settled, { maxLength: 30 }), fc.nat(), (others: DeliveryStatus[], at: number) => {
        const deliveries = [...others];
        deliveries.splice(at % (others.length + 1), 0, 'failed');
        assert.equal(settledStatus(deliveries), 'failed');
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

  it('only ever settles on delivered, read or failed (property)', () => {
    fc.assert(
      fc.property(fc.array(deliveryStatus, { minLength: 1, maxLength: 30 }), (deliveries: DeliveryStatus[]) => {
        const status = settledStatus(deliveries);
        assert.ok(status === undefined || ['delivered', 'read', 'failed'].includes(status), String(status));
      }),
    );
  });
});

describe('deliverySummary', () => {
  it('counts the deliveries in each status and in all', () => {
    assert.deepEqual(deliverySummary(['sent', 'read', 'read', 'failed']), {
      total: 4, pending: 0, sent: 1, delivered: 0, read: 2, failed: 1,
    });
  });
});
