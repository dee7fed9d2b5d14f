import { createLogger } from '@parley/logger';
import { describe, expect, it } from 'vitest';
import { nonPublicReason } from './address-guard.js';
import { createBrandHttpClient, isNonPublicAddress } from './index.js';

describe('isNonPublicAddress: IPv6 forms that embed or tunnel to IPv4', () => {
  it.each([
    // IPv4-mapped ::ffff:0:0/96, dotted, hex and fully expanded
    ['::ffff:10.0.0.1', true],
    ['::ffff:a00:1', true],
    ['0:0:0:0:0:ffff:7f00:1', true],
    ['::FFFF:169.254.169.254', true],
    ['::ffff:a9fe:a9fe', true],
    ['::ffff:8.8.8.8', false],
    ['::ffff:808:808', false],
    // IPv4-translated ::ffff:0:0:0/96 (RFC 2765): never a public service, whatever it embeds
    ['::ffff:0:127.0.0.1', true],
    ['::ffff:0:7f00:1', true],
    ['::ffff:0:a00:1', true],
    ['0:0:0:0:ffff:0:a9fe:a9fe', true],
    ['::ffff:0:8.8.8.8', true],
    // IPv4-compatible ::/96 (deprecated)
    ['::10.0.0.1', true],
    ['::808:808', true],
    // NAT64 well-known prefix 64:ff9b::/96: decided by the embedded address
    ['64:ff9b::7f00:1', true],
    ['64:ff9b::a9fe:a9fe', true],
    ['64:ff9b:0:0:0:0:192.168.1.1', true],
    ['64:ff9b::8.8.8.8', false],
    ['64:ff9b::808:808', false],
    ['64:ff9b:1::808:808', true], // local-use NAT64
    // 6to4 2002::/16: decided by the IPv4 address in bits 16-47
    ['2002:7f00:1::', true],
    ['2002:a00:1::1', true],
    ['2002:a9fe:a9fe::1', true],
    ['2002:c0a8:101:1::1', true],
    ['2002:808:808::1', false],
    // Teredo 2001::/32: refused outright
    ['2001:0:4136:e378::1', true],
    // Deprecated site-local fec0::/10 and other never-public IPv6 ranges
    ['fec0::1', true],
    ['fecf:ffff::1', true],
    ['feff::1', true],
    ['100::1', true], // discard-only
    ['2001:2::1', true], // benchmarking
    ['2001:10::1', true], // ORCHID
    ['2001:20::1', true], // ORCHIDv2
    ['3fff::1', true], // documentation (RFC 9637)
    ['fe80::1%eth0', true], // zone id: link-local scope
    // public IPv6 stays public
    ['2606:4700:4700::1111', false],
    ['2a00:1450:4001:80b::200e', false],
    ['2001:4860:4860::8888', false],
    ['fe00::1', false],
  ])('%s -> %s', (address, expected) => {
    expect(isNonPublicAddress(address)).toBe(expected);
  });
});

describe('nonPublicReason', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['fd00::1', 'private'],
    ['2002:c0a8:101::1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fec0::1', 'site-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['::ffff:0:8.8.8.8', 'IPv4-translated'],
    ['2001:0:4136:e378::1', 'tunnel'],
    ['not-an-ip', 'not an IP address'],
    ['8.8.8.8', undefined],
    ['2606:4700:4700::1111', undefined],
  ])('%s -> %s', (address, expected) => {
    expect(nonPublicReason(address)).toBe(expected);
  });
});

describe('refusals name the host and the reason class, not the resolved address', () => {
  it('a name resolving to loopback is refused without the address in the message or context', async () => {
    const logger = createLogger({ service: 'brand-http-test', version: 'test', level: 'silent' });
    const client = createBrandHttpClient({ logger });
    const failure = await client.request('https://localhost:1/token', { tenant: 'acme' }).then(
      () => undefined,
      (error: unknown) => error as { code: string; message: string; context?: unknown },
    );
    expect(failure?.code).toBe('url_not_allowed');
    expect(failure?.message).toContain('localhost');
    expect(failure?.message).toContain('non-public');
    expect(failure?.message).not.toMatch(/127\.0\.0\.1|::1|::ffff/);
    expect(JSON.stringify(failure?.context ?? {})).not.toMatch(/127\.0\.0\.1|::1|::ffff/);
  });
});
