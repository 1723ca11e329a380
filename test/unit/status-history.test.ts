import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deliveryHistory, messageHistory, micros } from '../../src/domain/status-history.ts';

describe('messageHistory', () => {
  it('derives accepted, in_transit and delivered from the row, in order', () => {
    const history = messageHistory(
      { createdAt: '2026-12-03T10:00:00.000001Z', times: { in_transit: '2026-12-03T10:00:00.2Z', delivered: '2026-12-03T10:00:00.5Z' }, reason: null },
      [],
    );
    assert.deepEqual(history.map((step) => step.status), ['accepted', 'in_transit', 'delivered']);
  });

  it('puts the steps of a generation before a replay where they happened', () => {
    const history = messageHistory(
      { createdAt: '2026-12-03T10:00:00Z', times: { in_transit: '2026-12-03T10:00:01Z', delivered: '2026-12-03T10:00:09Z' }, reason: null },
      [
        { status: 'failed', reason: 'down', at: '2026-12-03T10:00:05Z', channelAt: null },
        { status: 'in_transit', reason: 'replayed', at: '2026-12-03T10:00:08Z', channelAt: null },
      ],
    );
    assert.deepEqual(history.map((step) => [step.status, step.reason]), [
      ['accepted', null],
      ['in_transit', null],
      ['failed', 'down'],
      ['in_transit', 'replayed'],
      ['delivered', null],
    ]);
  });

  it('keeps a status before a replayed step written in the same transaction (same time)', () => {
    const at = '2026-12-03T10:00:01.000005Z';
    const history = messageHistory(
      { createdAt: '2026-12-03T10:00:00Z', times: { in_transit: at }, reason: null },
      [{ status: 'failed', reason: 'nothing could be tried', at, channelAt: null }],
    );
    assert.deepEqual(history.map((step) => step.status), ['accepted', 'in_transit', 'failed']);
  });

  it('takes the accepted step kept as a row (a message accepted before migration 0007) instead of created_at', () => {
    const history = messageHistory(
      { createdAt: '2026-12-03T10:00:00.000400Z', times: { in_transit: '2026-12-03T10:00:01Z' }, reason: null },
      [{ status: 'accepted', reason: null, at: '2026-12-03T10:00:00.003050Z', channelAt: null }],
    );
    assert.deepEqual(history.map((step) => [step.status, step.at.toISOString()]), [
      ['accepted', '2026-12-03T10:00:00.003Z'],
      ['in_transit', '2026-12-03T10:00:01.000Z'],
    ]);
  });

  it('gives the failed step the message\'s reason', () => {
    const history = messageHistory({ createdAt: '2026-12-03T10:00:00Z', times: { in_transit: '2026-12-03T10:00:01Z', failed: '2026-12-03T10:00:02Z' }, reason: 'down' }, []);
    assert.equal(history.at(-1)!.reason, 'down');
  });
});

describe('deliveryHistory', () => {
  it('puts a replay before the steps of its generation recorded in the same millisecond', () => {
    const at = '2026-12-03T10:00:05.123Z';
    const history = deliveryHistory(
      { createdAt: '2026-12-03T10:00:00Z', reason: null, steps: { sent: { at, channelAt: null }, delivered: { at, channelAt: null } } },
      [
        { status: 'failed', reason: 'down', at: '2026-12-03T10:00:01Z', channelAt: null },
        { status: 'pending', reason: 'replayed', at, channelAt: null },
      ],
    );
    assert.deepEqual(history.map((step) => step.status), ['pending', 'failed', 'pending', 'sent', 'delivered']);
  });

  it('derives pending, sent and delivered with the channel\'s times', () => {
    const history = deliveryHistory(
      {
        createdAt: '2026-12-03T10:00:00Z',
        reason: null,
        steps: { sent: { at: '2026-12-03T10:00:01Z', channelAt: '2026-12-03T10:00:00.9Z' }, delivered: { at: '2026-12-03T10:00:02Z', channelAt: null } },
      },
      [],
    );
    assert.deepEqual(history.map((step) => step.status), ['pending', 'sent', 'delivered']);
    assert.equal(history[1]!.channelAt!.toISOString(), '2026-12-03T10:00:00.900Z');
  });
});

describe('micros', () => {
  it('reads PostgreSQL text and ISO timestamps to the microsecond', () => {
    assert.equal(micros('2026-12-03 10:00:00.123456+00') - micros('2026-12-03T10:00:00.123455Z'), 1);
  });
});
