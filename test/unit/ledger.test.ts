import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Ledger, type DeliveryState, type MessageState } from '../../src/domain/ledger.ts';
import { nextReadPointer } from '../../src/domain/read-pointer.ts';

const NOW = '2026-12-03 10:00:00.000001+00';
const SENDER = 'sender';

function message(overrides: Partial<MessageState> = {}): MessageState {
  return {
    messageId: 'm1',
    conversationId: 'c1',
    seq: 3,
    from: SENDER,
    to: null,
    channels: ['whatsapp'],
    payload: { type: 'text', text: 'hi' },
    priority: 'normal',
    createdAt: '2026-12-03 09:59:59+00',
    status: 'in_transit',
    reason: null,
    generation: 0,
    times: { in_transit: '2026-12-03 09:59:59.5+00' },
    ...overrides,
  };
}

function delivery(overrides: Partial<DeliveryState> = {}): DeliveryState {
  return { messageId: 'm1', channel: 'whatsapp', recipientId: 'bob', status: 'pending', reason: null, providerMessageId: null, steps: {}, readUpTo: 0, ...overrides };
}

const ref = (recipientId = 'bob', channel = 'whatsapp') => ({ messageId: 'm1', channel, recipientId });
const statusEvents = (ledger: Ledger) => ledger.changes().events.filter((e) => e.type === 'message.status').map((e) => (e.data as { status: string }).status);

describe('Ledger: routing', () => {
  it('plans a delivery per leg and recipient, moves the message to in_transit and announces it created first', () => {
    const ledger = new Ledger(NOW, [message({ status: 'accepted', times: {} })]);
    assert.equal(ledger.route('m1', [{ channel: 'whatsapp', recipients: ['bob', 'carol'] }]), true);
    const changes = ledger.changes();
    assert.deepEqual(changes.created.map((d) => [d.recipientId, d.status]), [['bob', 'pending'], ['carol', 'pending']]);
    assert.equal(changes.messages[0]!.status, 'in_transit');
    assert.equal(changes.messages[0]!.times.in_transit, NOW);
    assert.deepEqual(changes.events.map((e) => e.type), ['message.created', 'message.status']);
  });

  it('changes nothing for a message already routed (a record seen again)', () => {
    const ledger = new Ledger(NOW, [message()]);
    assert.equal(ledger.route('m1', [{ channel: 'whatsapp', recipients: ['bob'] }]), false);
    const changes = ledger.changes();
    assert.equal(changes.created.length + changes.messages.length + changes.events.length, 0);
  });

  it('fails a message at once when none of its legs can be tried, with the reason', () => {
    const ledger = new Ledger(NOW, [message({ status: 'accepted', times: {} })]);
    ledger.route('m1', [{ channel: 'whatsapp', recipients: ['bob'], failure: 'file f is missing from storage' }]);
    const [moved] = ledger.changes().messages;
    assert.equal(moved!.status, 'failed');
    assert.equal(moved!.reason, 'file f is missing from storage');
    assert.deepEqual(statusEvents(ledger), ['in_transit', 'failed']);
  });
});

describe('Ledger: delivery steps', () => {
  it('moves a delivery forward and settles the message once every delivery is delivered', () => {
    const ledger = new Ledger(NOW, [message()], [delivery(), delivery({ recipientId: 'carol' })]);
    assert.equal(ledger.step(ref(), { status: 'delivered', sentToo: true, providerMessageId: 'p1' }), true);
    assert.deepEqual(statusEvents(ledger), [], 'carol still pending: the message stays in_transit');
    ledger.step(ref('carol'), { status: 'delivered', sentToo: true });
    const changes = ledger.changes();
    assert.equal(changes.messages[0]!.status, 'delivered');
    const bob = changes.updated.find((d) => d.recipientId === 'bob')!;
    assert.ok(bob.steps.sent && bob.steps.delivered, 'both steps of the hand-over are kept');
    assert.equal(bob.providerMessageId, 'p1');
  });

  it('ignores a late or repeated step: delivered after read, read twice', () => {
    const ledger = new Ledger(NOW, [message({ status: 'read' })], [delivery({ status: 'read' })]);
    assert.equal(ledger.step(ref(), { status: 'delivered' }), false);
    assert.equal(ledger.step(ref(), { status: 'read' }), false);
    assert.equal(ledger.changes().updated.length, 0);
  });

  it('never fails what reached the recipient', () => {
    const ledger = new Ledger(NOW, [message()], [delivery({ status: 'delivered' })]);
    assert.equal(ledger.step(ref(), { status: 'failed', reason: 'late' }), false);
  });

  it('fails the message with the first failed delivery\'s reason once every delivery settled', () => {
    const ledger = new Ledger(NOW, [message()], [delivery({ status: 'delivered' }), delivery({ recipientId: 'carol' })]);
    ledger.step(ref('carol'), { status: 'failed', reason: 'channel down (after 5 attempts)' });
    const [moved] = ledger.changes().messages;
    assert.equal(moved!.status, 'failed');
    assert.equal(moved!.reason, 'channel down (after 5 attempts)');
  });

  it('makes a hand-over read at once when the recipient already read that far (the read-pointer rule)', () => {
    const ledger = new Ledger(NOW, [message()], [delivery({ readUpTo: 3 })]);
    ledger.step(ref(), { status: 'sent' });
    const changes = ledger.changes();
    assert.equal(changes.updated[0]!.status, 'read');
    assert.equal(changes.messages[0]!.status, 'read');
  });
});

describe('Ledger: read receipts', () => {
  it('marks the reader\'s handed-over deliveries read, leaves pending ones for their hand-over', () => {
    const ledger = new Ledger(NOW, [message()], [delivery({ status: 'delivered' }), delivery({ channel: 'instagram' })]);
    assert.deepEqual(ledger.readUpTo('bob', 3), ['m1']);
    const changes = ledger.changes();
    assert.deepEqual(changes.updated.map((d) => [d.channel, d.status]), [['whatsapp', 'read']]);
    assert.deepEqual(statusEvents(ledger), [], 'instagram is still pending: no aggregate move');
  });

  it('moves the pointer forward only and never past the last message', () => {
    assert.equal(nextReadPointer(5, 3, 10), 5);
    assert.equal(nextReadPointer(5, 8, 10), 8);
    assert.equal(nextReadPointer(5, 99, 10), 10);
  });
});

describe('Ledger: dead-letter replay', () => {
  const failedMessage = () =>
    message({ status: 'failed', reason: 'down', times: { in_transit: '2026-12-03 09:59:59.5+00', failed: '2026-12-03 09:59:59.9+00' } });
  const failedDelivery = () =>
    delivery({ status: 'failed', reason: 'down', steps: { failed: { at: '2026-12-03 09:59:59.9+00', channelAt: null } } });

  it('puts a failed delivery back to pending and its message back to in_transit in its next generation', () => {
    const ledger = new Ledger(NOW, [failedMessage()], [failedDelivery()]);
    assert.equal(ledger.replay(ref(), 'replayed'), true);
    const changes = ledger.changes();
    assert.equal(changes.updated[0]!.status, 'pending');
    assert.deepEqual(changes.updated[0]!.steps, {});
    assert.equal(changes.messages[0]!.status, 'in_transit');
    assert.equal(changes.messages[0]!.generation, 1);
    assert.deepEqual(changes.deliveryArchive.map((s) => [s.status, s.reason]), [['failed', 'down'], ['pending', 'replayed']]);
    assert.deepEqual(changes.messageArchive.map((s) => [s.status, s.reason]), [['failed', 'down'], ['in_transit', 'replayed']]);
  });

  it('announces a second failure after a replay as a new fact (its key names the generation)', () => {
    const ledger = new Ledger(NOW, [failedMessage()], [failedDelivery()]);
    ledger.replay(ref(), 'replayed');
    ledger.step(ref(), { status: 'failed', reason: 'down again' });
    const keys = ledger.changes().events.map((event) => event.key);
    assert.deepEqual(keys, ['message.status:m1:1:in_transit', 'message.status:m1:1:failed']);
    assert.notEqual(keys[1], 'message.status:m1:0:failed');
  });

  it('dispatches again a delivery an earlier replay left pending, and leaves one that moved on alone', () => {
    const pending = new Ledger(NOW, [message()], [delivery()]);
    assert.equal(pending.replay(ref(), 'replayed'), true);
    assert.equal(pending.changes().updated.length, 0, 'nothing to change, only to send again');
    const delivered = new Ledger(NOW, [message({ status: 'delivered' })], [delivery({ status: 'delivered' })]);
    assert.equal(delivered.replay(ref(), 'replayed'), false);
  });
});
