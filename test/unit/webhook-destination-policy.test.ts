import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WebhookDestinationPolicy } from '../../src/app/webhook-destination-policy.ts';
import type { HostResolver } from '../../src/ports/host-resolver.ts';

/** Resolves from a table, as a hosts file would: IP addresses to themselves, unknown names not at all. */
function resolver(table: Record<string, string[]>): HostResolver & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async addresses(host) {
      asked.push(host);
      if (/^[\d.]+$|:/.test(host)) return [host];
      const found = table[host];
      if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      return found;
    },
  };
}

const names = {
  'public.test': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
  'mixed.test': ['93.184.215.14', '10.1.2.3'],
  'metadata.test': ['169.254.169.254'],
};
const refusing = () => new WebhookDestinationPolicy(resolver(names), { allowNonPublic: false });

describe('WebhookDestinationPolicy', () => {
  it('gives the addresses of a host that resolves to public addresses only', async () => {
    assert.deepEqual(await refusing().check('public.test'), { addresses: names['public.test'] });
  });

  it('refuses a host when any one of its addresses is non-public, naming it', async () => {
    assert.deepEqual(await refusing().check('mixed.test'), { refused: 'mixed.test resolves to 10.1.2.3 (private)' });
  });

  it('refuses a non-public IP address given as the host, with or without IPv6 brackets', async () => {
    assert.deepEqual(await refusing().check('127.0.0.1'), { refused: '127.0.0.1 (loopback)' });
    assert.deepEqual(await refusing().check('[::1]'), { refused: '::1 (loopback)' });
  });

  it('gives every address, checking none, when non-public addresses are allowed', async () => {
    const policy = new WebhookDestinationPolicy(resolver(names), { allowNonPublic: true });
    assert.deepEqual(await policy.check('metadata.test'), { addresses: ['169.254.169.254'] });
  });

  it('refuses at registration a URL whose host is a non-public address in any spelling', async () => {
    for (const url of ['http://2130706433/', 'http://0x7f.1/', 'http://[::ffff:127.0.0.1]:8080/', 'https://0.0.0.0/', 'http://metadata.test/latest']) {
      assert.match((await refusing().refusal(url)) ?? '', /^must not point at a non-public address: /, url);
    }
  });

  it('lets through at registration a URL whose host does not resolve: each attempt checks it again', async () => {
    assert.equal(await refusing().refusal('https://not-yet.test/hook'), undefined);
  });

  it('resolves nothing at registration when non-public addresses are allowed', async () => {
    const table = resolver(names);
    const policy = new WebhookDestinationPolicy(table, { allowNonPublic: true });
    assert.equal(await policy.refusal('http://metadata.test/'), undefined);
    assert.deepEqual(table.asked, []);
  });
});
