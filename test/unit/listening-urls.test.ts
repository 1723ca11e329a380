import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';
import { describe, it } from 'node:test';
import { listeningUrls } from '../../src/roles/listening-urls.ts';

const v4 = (address: string, internal = false) => ({ address, family: 'IPv4', internal }) as NetworkInterfaceInfo;
const v6 = (address: string, internal = false) => ({ address, family: 'IPv6', internal }) as NetworkInterfaceInfo;
const bound = (address: string, port = 8000): AddressInfo => ({ address, port, family: address.includes(':') ? 'IPv6' : 'IPv4' });

const INTERFACES = {
  lo: [v4('127.0.0.1', true), v6('::1', true)],
  eth0: [v4('192.0.2.2'), v6('fd00::2'), v6('fe80::fc:ff:fe00:1')],
  wlan0: [v4('10.1.2.3')],
};

describe('listeningUrls', () => {
  it('names a loopback address alone', () => {
    assert.deepEqual(listeningUrls([bound('127.0.0.1', 4321)], INTERFACES), ['http://127.0.0.1:4321']);
  });

  it('writes an IPv6 address in brackets', () => {
    assert.deepEqual(listeningUrls([bound('::1')], INTERFACES), ['http://[::1]:8000']);
  });

  it('expands 0.0.0.0 to localhost first, then every external IPv4 address', () => {
    assert.deepEqual(listeningUrls([bound('0.0.0.0')], INTERFACES), [
      'http://localhost:8000',
      'http://192.0.2.2:8000',
      'http://10.1.2.3:8000',
    ]);
  });

  it('expands :: to localhost, then every external IPv4 and IPv6 address, link-local ones with their interface', () => {
    assert.deepEqual(listeningUrls([bound('::')], INTERFACES), [
      'http://localhost:8000',
      'http://192.0.2.2:8000',
      'http://[fd00::2]:8000',
      'http://[fe80::fc:ff:fe00:1%25eth0]:8000',
      'http://10.1.2.3:8000',
    ]);
  });

  it('names each address of a server bound to several (HOST=localhost)', () => {
    assert.deepEqual(listeningUrls([bound('127.0.0.1'), bound('::1')], INTERFACES), ['http://127.0.0.1:8000', 'http://[::1]:8000']);
  });

  it('still names localhost on a machine with no external interface', () => {
    assert.deepEqual(listeningUrls([bound('0.0.0.0')], { lo: [v4('127.0.0.1', true)] }), ['http://localhost:8000']);
  });
});
