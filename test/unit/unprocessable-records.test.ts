import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEAD_LETTERS_TOPIC, UnprocessableRecords, type DeadLetteredRecord, type RejectingHandler } from '../../src/app/unprocessable-records.ts';
import type { Logger } from '../../src/ports/logger.ts';
import { UnreadableValue, type BusRecord, type ConsumedRecord } from '../../src/ports/message-bus.ts';

/** What a consumer group's guard did: the dead letters it appended and the lines it logged. */
function harness(options: { append?: (records: BusRecord[]) => Promise<void> } = {}) {
  const appended: BusRecord[] = [];
  const lines: Array<{ level: string; fields: Record<string, unknown>; message?: string }> = [];
  const log: Logger = {
    debug: (fields, message) => lines.push({ level: 'debug', fields: fields as Record<string, unknown>, message }),
    info: (fields, message) => lines.push({ level: 'info', fields: fields as Record<string, unknown>, message }),
    warn: (fields, message) => lines.push({ level: 'warn', fields: fields as Record<string, unknown>, message }),
    error: (fields, message) => lines.push({ level: 'error', fields: fields as Record<string, unknown>, message }),
    child: () => log,
  };
  const unprocessable = new UnprocessableRecords({
    group: 'notifier',
    append: options.append ?? (async (records) => void appended.push(...records)),
    isTransient: (error) => (error as { code?: string }).code !== '23503',
    log,
  });
  const letters = () => appended.map((record) => record.value as DeadLetteredRecord);
  return { unprocessable, appended, letters, lines };
}

let offset = 0;
const record = (value: unknown, key = 'k'): ConsumedRecord => ({ topic: 'hub_events', partition: 2, offset: String(offset++), key, value });
const foreignKey = Object.assign(new Error('violates foreign key constraint'), { code: '23503' });

describe('UnprocessableRecords', () => {
  it('sets aside what the handler rejects, with where it came from and why, logs it with a running count and moves on', async () => {
    const { unprocessable, appended, letters, lines } = harness();
    const [good, bad] = [record({ n: 1 }), record({ n: 2 }, 'conv')];
    const handled: ConsumedRecord[][] = [];
    const handler: RejectingHandler = async (records) => {
      handled.push(records);
      return records.filter((r) => r === bad).map((r) => ({ record: r, reason: 'conversation x does not exist' }));
    };
    await unprocessable.guard(handler)([good, bad]);
    assert.deepEqual(handled, [[good, bad]]);
    assert.deepEqual(appended.map((r) => [r.topic, r.key]), [[DEAD_LETTERS_TOPIC, 'conv']]);
    const [letter] = letters();
    assert.deepEqual({ ...letter, failed_at: undefined }, {
      group: 'notifier', topic: 'hub_events', partition: 2, offset: bad.offset, key: 'conv', value: { n: 2 },
      reason: 'conversation x does not exist', failed_at: undefined,
    });
    assert.ok(!Number.isNaN(Date.parse(letter!.failed_at)));
    assert.deepEqual(lines.map((l) => [l.level, l.fields.dead_letters, l.fields.reason]), [['error', 1, 'conversation x does not exist']]);
    assert.equal(unprocessable.count, 1);
  });

  it('never hands the handler a value the bus could not read: its text, or its bytes, go on the dead letter', async () => {
    const { unprocessable, letters } = harness();
    const text = record(new UnreadableValue('not JSON: Unexpected token', Buffer.from('<xml/>')));
    const bytes = record(new UnreadableValue('not JSON: Unexpected token', Buffer.from([0, 0xff, 0x7b])));
    const none = record(new UnreadableValue('no value'));
    const good = record({ ok: true });
    const handled: ConsumedRecord[] = [];
    await unprocessable.guard(async (records) => void handled.push(...records))([text, good, bytes, none]);
    assert.deepEqual(handled, [good]);
    assert.deepEqual(letters().map(({ offset, value, value_base64, reason }) => ({ offset, value, value_base64, reason })), [
      { offset: text.offset, value: '<xml/>', value_base64: undefined, reason: 'not JSON: Unexpected token' },
      { offset: bytes.offset, value: null, value_base64: Buffer.from([0, 0xff, 0x7b]).toString('base64'), reason: 'not JSON: Unexpected token' },
      { offset: none.offset, value: null, value_base64: undefined, reason: 'no value' },
    ]);
    // A batch of nothing but unreadable values does not call the handler at all.
    handled.length = 0;
    await unprocessable.guard(async () => assert.fail('called'))([record(new UnreadableValue('no value'))]);
    assert.equal(unprocessable.count, 4);
  });

  it('finds the record of a batch that failed for a permanent reason by running them one at a time, in order', async () => {
    const { unprocessable, letters } = harness();
    const batch = [record({ n: 1 }), record({ n: 2, bad: true }), record({ n: 3 })];
    const applied: number[] = [];
    await unprocessable.guard(async (records) => {
      if (records.some((r) => (r.value as { bad?: boolean }).bad)) throw foreignKey;
      applied.push(...records.map((r) => (r.value as { n: number }).n));
    })(batch);
    assert.deepEqual(applied, [1, 3]);
    assert.deepEqual(letters().map((l) => [l.offset, l.reason]), [[batch[1]!.offset, 'violates foreign key constraint']]);
  });

  it('fails the batch on a transient error, setting nothing aside (the bus hands it again)', async () => {
    const { unprocessable, appended } = harness();
    const unavailable = Object.assign(new Error('Connection terminated'), { code: '57P01' });
    const guard = unprocessable.guard(async () => {
      throw unavailable;
    });
    await assert.rejects(guard([record({}), record({})]), unavailable);
    await assert.rejects(guard([record(new UnreadableValue('no value')), record({})]), unavailable);
    assert.deepEqual(appended, []);
    assert.equal(unprocessable.count, 0);
  });

  it('keeps a dead letter storable: U+0000 and lone surrogates (which jsonb and text refuse) become U+FFFD', async () => {
    const { unprocessable, letters } = harness();
    const value = { text: 'a\u0000b', list: ['\ud800x'], ['k\u0000']: 1, fine: 'ok 😀' };
    await unprocessable.guard(async (records) => records.map((r) => ({ record: r, reason: 'bad \u0000 reason' })))([record(value, 'key\u0000')]);
    const [letter] = letters();
    assert.deepEqual(letter!.value, { text: 'a\ufffdb', list: ['\ufffdx'], ['k\ufffd']: 1, fine: 'ok 😀' });
    assert.equal(letter!.key, 'key\ufffd');
    assert.equal(letter!.reason, 'bad \ufffd reason');
  });

  it('stores a dead letter without its value, saying why, when the value itself is refused; a transient refusal fails the batch', async () => {
    const tries: BusRecord[][] = [];
    const { unprocessable, lines } = harness({
      append: async (records) => {
        tries.push(records);
        if (tries.length === 1) throw Object.assign(new Error('value too deep'), { code: '23503' });
      },
    });
    await unprocessable.guard(async (records) => records.map((r) => ({ record: r, reason: 'unknown' })))([record({ deep: 1 })]);
    assert.equal(tries.length, 2);
    const letter = tries[1]![0]!.value as DeadLetteredRecord;
    assert.equal(letter.value, null);
    assert.equal(letter.value_dropped, 'value too deep');
    assert.equal(letter.reason, 'unknown');
    assert.equal(lines.filter((l) => l.level === 'error').length, 1);

    const down = Object.assign(new Error('Connection terminated'), { code: '57P01' });
    const failing = harness({ append: async () => Promise.reject(down) });
    await assert.rejects(failing.unprocessable.guard(async (records) => records.map((r) => ({ record: r, reason: 'x' })))([record({})]), down);
    assert.equal(failing.unprocessable.count, 0);
  });

  it('says at the end how many it set aside, and nothing when there were none', async () => {
    const quiet = harness();
    quiet.unprocessable.logTotal();
    assert.deepEqual(quiet.lines, []);
    const { unprocessable, lines } = harness();
    await unprocessable.guard(async (records) => records.map((r) => ({ record: r, reason: 'x' })))([record({}), record({})]);
    unprocessable.logTotal();
    assert.deepEqual(lines.at(-1), { level: 'warn', fields: { group: 'notifier', dead_letters: 2 }, message: 'notifier set aside 2 records on dead_letters since it started' });
  });
});
