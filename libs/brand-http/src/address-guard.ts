import { BlockList, isIP } from 'node:net';

/** Why an address is not one a brand's public server can have. */
export type NonPublicReason =
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'carrier-grade NAT'
  | 'link-local'
  | 'site-local'
  | 'multicast'
  | 'documentation'
  | 'benchmarking'
  | 'reserved'
  | 'IPv4-compatible'
  | 'IPv4-translated'
  | 'local-use NAT64'
  | 'tunnel'
  | 'scoped'
  | 'not an IP address';

type Rule = readonly [network: string, prefix: number, reason: NonPublicReason];

function listOf(rules: readonly Rule[], family: 'ipv4' | 'ipv6'): [BlockList, NonPublicReason][] {
  const byReason = new Map<NonPublicReason, BlockList>();
  for (const [network, prefix, reason] of rules) {
    const list = byReason.get(reason) ?? new BlockList();
    list.addSubnet(network, prefix, family);
    byReason.set(reason, list);
  }
  return [...byReason].map(([reason, list]) => [list, reason]);
}

function subnet(network: string, prefix: number): BlockList {
  const list = new BlockList();
  list.addSubnet(network, prefix, 'ipv6');
  return list;
}

// Addresses a brand's public OAuth server never has: loopback, private, link-local (cloud metadata
// at 169.254.169.254), carrier-grade NAT, multicast, reserved, documentation and benchmarking ranges.
const ipv4Rules = listOf(
  [
    ['0.0.0.0', 8, 'unspecified'],
    ['10.0.0.0', 8, 'private'],
    ['100.64.0.0', 10, 'carrier-grade NAT'],
    ['127.0.0.0', 8, 'loopback'],
    ['169.254.0.0', 16, 'link-local'],
    ['172.16.0.0', 12, 'private'],
    ['192.0.0.0', 24, 'reserved'],
    ['192.0.2.0', 24, 'documentation'],
    ['192.88.99.0', 24, 'reserved'], // former 6to4 relay anycast
    ['192.168.0.0', 16, 'private'],
    ['198.18.0.0', 15, 'benchmarking'],
    ['198.51.100.0', 24, 'documentation'],
    ['203.0.113.0', 24, 'documentation'],
    ['224.0.0.0', 4, 'multicast'],
    ['240.0.0.0', 4, 'reserved'],
  ],
  'ipv4',
);

// IPv6 ranges refused whatever they contain. Checked in order, so the specific before the general.
const ipv6Rules = listOf(
  [
    ['::', 128, 'unspecified'],
    ['::1', 128, 'loopback'],
    ['::ffff:0:0:0', 96, 'IPv4-translated'], // RFC 2765 SIIT, never a public service's address
    ['::', 96, 'IPv4-compatible'], // deprecated ::a.b.c.d
    ['64:ff9b:1::', 48, 'local-use NAT64'],
    ['100::', 64, 'reserved'], // discard-only
    ['2001::', 32, 'tunnel'], // Teredo: tunnels to an (obfuscated) embedded IPv4 address
    ['2001:2::', 48, 'benchmarking'],
    ['2001:10::', 28, 'reserved'], // ORCHID
    ['2001:20::', 28, 'reserved'], // ORCHIDv2
    ['2001:db8::', 32, 'documentation'],
    ['3fff::', 20, 'documentation'],
    ['fc00::', 7, 'private'], // unique local
    ['fe80::', 10, 'link-local'],
    ['fec0::', 10, 'site-local'], // deprecated, still routed inside some networks
    ['ff00::', 8, 'multicast'],
  ],
  'ipv6',
);

// IPv6 ranges that carry an IPv4 address the connection really goes to: judged by that address.
// Each entry: the range and which 16-bit groups hold the IPv4 address.
const embeddings: [BlockList, number][] = [
  [subnet('::ffff:0:0', 96), 6], // IPv4-mapped ::ffff:a.b.c.d: the socket connects over IPv4
  [subnet('64:ff9b::', 96), 6], // NAT64 well-known prefix (RFC 6052)
  [subnet('2002::', 16), 1], // 6to4 (RFC 3056): 2002:AABB:CCDD::/48
];

/** The eight 16-bit groups of an IPv6 address, after the WHATWG URL parser has canonicalised it. */
function ipv6Groups(address: string): number[] | undefined {
  let canonical: string;
  try {
    canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1); // lower-case hex, no dotted quad
  } catch {
    return undefined;
  }
  const [head = '', tail] = canonical.split('::');
  const parse = (part: string) =>
    part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16));
  const start = parse(head);
  const end = tail === undefined ? [] : parse(tail);
  const groups = [...start, ...new Array<number>(8 - start.length - end.length).fill(0), ...end];
  return groups.length === 8 && groups.every((group) => Number.isInteger(group)) ? groups : undefined;
}

function ipv4Reason(address: string): NonPublicReason | undefined {
  return ipv4Rules.find(([list]) => list.check(address, 'ipv4'))?.[1];
}

/**
 * Why an IP address is one a public service never has, as a class (`loopback`, `private`,
 * `link-local`, …) safe to show an admin; `undefined` for a public address. IPv6 addresses that
 * embed an IPv4 address the connection goes to (IPv4-mapped, NAT64, 6to4) are judged by it.
 *
 * @example
 * nonPublicReason('::ffff:a9fe:a9fe'); // 'link-local'
 */
export function nonPublicReason(address: string): NonPublicReason | undefined {
  const family = isIP(address);
  if (family === 4) return ipv4Reason(address);
  if (family !== 6) return 'not an IP address'; // refuse rather than guess
  if (address.includes('%')) return 'scoped'; // a zone id: link-local or site scope
  const groups = ipv6Groups(address);
  if (!groups) return 'not an IP address';
  const canonical = groups.map((group) => group.toString(16)).join(':');
  const embedding = embeddings.find(([range]) => range.check(canonical, 'ipv6'));
  if (embedding) {
    const high = groups[embedding[1]] as number;
    const low = groups[embedding[1] + 1] as number;
    return ipv4Reason([high >> 8, high & 255, low >> 8, low & 255].join('.'));
  }
  return ipv6Rules.find(([list]) => list.check(canonical, 'ipv6'))?.[1];
}

/**
 * Whether an IP address is one a public service never has (loopback, private, link-local, …).
 *
 * @example
 * isNonPublicAddress('169.254.169.254'); // true
 */
export function isNonPublicAddress(address: string): boolean {
  return nonPublicReason(address) !== undefined;
}
