import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseByteRange } from '../../src/http/byte-range.ts';
import { attachment } from '../../src/http/content-disposition.ts';

describe('parseByteRange', () => {
  const size = 1000;

  it('reads a closed range', () => assert.deepEqual(parseByteRange('bytes=10-19', size), { start: 10, end: 19 }));
  it('reads an open range to the end', () => assert.deepEqual(parseByteRange('bytes=990-', size), { start: 990, end: 999 }));
  it('reads a suffix', () => assert.deepEqual(parseByteRange('bytes=-10', size), { start: 990, end: 999 }));
  it('clamps an end past the file', () => assert.deepEqual(parseByteRange('bytes=900-5000', size), { start: 900, end: 999 }));
  it('clamps a suffix longer than the file', () => assert.deepEqual(parseByteRange('bytes=-5000', size), { start: 0, end: 999 }));
  it('calls a start past the end unsatisfiable', () => assert.equal(parseByteRange('bytes=1000-', size), 'unsatisfiable'));
  it('calls an empty suffix unsatisfiable', () => assert.equal(parseByteRange('bytes=-0', size), 'unsatisfiable'));

  for (const header of [undefined, 'bytes=5-1', 'bytes=-', 'items=0-1', 'bytes=0-1,5-6', 'bytes=a-b']) {
    it(`serves the whole file for ${JSON.stringify(header)}`, () => assert.equal(parseByteRange(header, size), undefined));
  }
});

describe('attachment (Content-Disposition)', () => {
  it('keeps a plain ASCII name as it is', () => {
    assert.equal(attachment('report.pdf'), `attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`);
  });

  it('encodes any Unicode name in filename* and gives an ASCII fallback', () => {
    const header = attachment('relatório “final” 日本語.txt');
    const encoded = /filename\*=UTF-8''(.+)$/.exec(header)![1]!;
    assert.equal(decodeURIComponent(encoded), 'relatório “final” 日本語.txt');
    assert.match(header, /^attachment; filename="[\x20-\x7e]+"; /);
  });

  it('cannot be broken out of by quotes, semicolons or percent signs', () => {
    const header = attachment('a";b%20c\'.txt');
    assert.match(header, /^attachment; filename="a__b_20c'.txt"; filename\*=UTF-8''a%22%3Bb%2520c%27.txt$/);
  });
});
