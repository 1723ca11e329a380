import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { nonPublicRange } from '../../src/domain/public-addresses.ts';

/** How a URL's host reaches the classifier: the WHATWG parser's canonical form, IPv6 brackets taken off. */
const hostOf = (url: string) => new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((parts) => parts.join('.'));
const toInteger = (address: string) => address.split('.').reduce((n, part) => n * 256 + Number(part), 0);

describe('nonPublicRange', () => {
  it('names the range of each kind of non-public IPv4 address', () => {
    const cases: Array<[string, string]> = [
      ['0.0.0.0', 'unspecified'],
      ['0.1.2.3', 'unspecified'],
      ['127.0.0.1', 'loopback'],
      ['127.255.255.254', 'loopback'],
      ['10.0.0.1', 'private'],
      ['10.255.255.255', 'private'],
      ['172.16.0.1', 'private'],
      ['172.31.255.255', 'private'],
      ['192.168.1.1', 'private'],
      ['100.64.0.1', 'carrier-grade NAT'],
      ['100.127.255.255', 'carrier-grade NAT'],
      ['169.254.169.254', 'link-local'],
      ['192.0.2.10', 'documentation'],
      ['198.51.100.7', 'documentation'],
      ['203.0.113.200', 'documentation'],
      ['198.18.0.1', 'benchmarking'],
      ['198.19.255.255', 'benchmarking'],
      ['224.0.0.1', 'multicast'],
      ['239.255.255.250', 'multicast'],
      ['255.255.255.255', 'broadcast'],
      ['240.0.0.1', 'reserved'],
      ['192.0.0.8', 'reserved'],
      ['192.88.99.1', 'reserved'],
    ];
    for (const [address, range] of cases) assert.equal(nonPublicRange(address), range, address);
  });

  it('names the range of each kind of non-public IPv6 address', () => {
    const cases: Array<[string, string]> = [
      ['::', 'unspecified'],
      ['::1', 'loopback'],
      ['0:0:0:0:0:0:0:1', 'loopback'],
      ['fc00::1', 'unique local'],
      ['fd12:3456:789a::1', 'unique local'],
      ['fe80::1', 'link-local'],
      ['fe80::1%eth0', 'link-local'],
      ['febf::1', 'link-local'],
      ['ff02::1', 'multicast'],
      ['2001:db8::1', 'documentation'],
      ['3fff::1', 'documentation'],
      ['2001::1', 'reserved'],
      ['2002:7f00:1::1', 'reserved'],
      ['64:ff9b::7f00:1', 'reserved'],
      ['::7f00:1', 'reserved'],
      ['fec0::1', 'reserved'],
      ['100::1', 'reserved'],
    ];
    for (const [address, range] of cases) assert.equal(nonPublicRange(address), range, address);
  });

  it('sees through IPv4-mapped IPv6, dotted or in hex', () => {
    assert.equal(nonPublicRange('::ffff:127.0.0.1'), 'loopback');
    assert.equal(nonPublicRange('::ffff:7f00:1'), 'loopback');
    assert.equal(nonPublicRange('0:0:0:0:0:ffff:a00:1'), 'private');
    assert.equal(nonPublicRange('::ffff:169.254.169.254'), 'link-local');
    assert.equal(nonPublicRange('::ffff:8.8.8.8'), undefined);
  });

  it('classifies hosts written in the forms URLs accept (decimal, hex, octal, short, bracketed)', () => {
    const cases: Array<[string, string]> = [
      ['http://2130706433/', 'loopback'],
      ['http://0x7f.1/', 'loopback'],
      ['http://0x7f000001/', 'loopback'],
      ['http://0177.0.0.1/', 'loopback'],
      ['http://127.1/', 'loopback'],
      ['http://0/', 'unspecified'],
      ['http://[::1]:8080/', 'loopback'],
      ['http://[::ffff:127.0.0.1]/', 'loopback'],
      ['http://[0:0:0:0:0:ffff:7f00:1]/', 'loopback'],
      ['http://3232235777/', 'private'],
      ['http://0xa9.0xfe.0xa9.0xfe/', 'link-local'],
    ];
    for (const [url, range] of cases) assert.equal(nonPublicRange(hostOf(url)), range, url);
  });

  it('lets public addresses through', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '93.184.215.14', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '2a00:1450:4001::200e']) {
      assert.equal(nonPublicRange(address), undefined, address);
    }
  });

  it('calls anything that is no IP address invalid (names, brackets, empty text)', () => {
    for (const text of ['localhost', '[::1]', '', '127.0.0.1.', '1.2.3.4.5']) assert.equal(nonPublicRange(text), 'invalid', text);
  });

  it('classifies an IPv4 address and its IPv4-mapped IPv6 form alike', () => {
    fc.assert(fc.property(ipv4, (address) => nonPublicRange(`::ffff:${address}`) === nonPublicRange(address)));
  });

  it('classifies an IPv4 address written as one decimal number as its dotted form', () => {
    fc.assert(fc.property(ipv4, (address) => nonPublicRange(hostOf(`http://${toInteger(address)}/`)) === nonPublicRange(address)));
  });

  it('finds every address of 127/8, 10/8 and 169.254/16 non-public', () => {
    fc.assert(
      fc.property(fc.constantFrom(['127', 'loopback'] as const, ['10', 'private'] as const, ['169.254', 'link-local'] as const), fc.array(fc.nat(255), { minLength: 3, maxLength: 3 }), ([prefix, range], rest) => {
        const address = [...prefix.split('.'), ...rest].slice(0, 4).join('.');
        return nonPublicRange(address) === range;
      }),
    );
  });
});
