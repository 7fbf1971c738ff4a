/**
 * IP literal parsing and the special-purpose ranges that count as `local`.
 *
 * IPv6 forms that embed an IPv4 address are classified by what they embed or denote (docs/design/security.md):
 * 6to4 (2002::/16) and the well-known NAT64 prefix (64:ff9b::/96) reach the embedded IPv4 address, so they are
 * local exactly when it is; IPv4-compatible (::/96), IPv4-mapped (::ffff:0:0/96), IPv4-translated
 * (::ffff:0:0:0/96) and the local-use NAT64 prefix (64:ff9b:1::/48) are never routed across the Internet and
 * are always local, as are site-local (fec0::/10), unique-local (fc00::/7) and link-local (fe80::/10).
 */
import { isIPv4, isIPv6 } from 'node:net';

const V4_LOCAL: readonly [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
  ['255.255.255.255', 32],
];

const V6_LOCAL: readonly [string, number][] = [
  // IPv4-compatible (deprecated), with :: and ::1 inside it
  ['::', 96],
  ['::ffff:0:0', 96],
  ['::ffff:0:0:0', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001::', 32],
  ['2001:2::', 48],
  ['2001:db8::', 32],
  ['2001:10::', 28],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
];

/** An IPv4 literal in strict dotted-quad form (no leading zeros) as a 32-bit number, else undefined. */
export function parseIPv4(text: string): number | undefined {
  if (!isIPv4(text)) return undefined;
  const parts = text.split('.');
  if (parts.some((p) => p.length > 1 && p.startsWith('0'))) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

/** An IPv6 literal as a 128-bit bigint, else undefined. */
export function parseIPv6(text: string): bigint | undefined {
  if (!isIPv6(text) || text.includes('%')) return undefined;
  let s = text.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4?.[1]) {
    const n = parseIPv4(v4[1]);
    if (n === undefined) return undefined;
    s = `${s.slice(0, -v4[1].length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head = '', tail] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) return undefined;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

/** RFC 5952 text of a 128-bit IPv6 address: lower case, zeros compressed once (the longest run ≥ 2). */
export function formatIPv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

// The range tables as numbers, computed once (detection runs on millions of URLs).
const V4_RANGES = V4_LOCAL.map(([base, bits]) => {
  const size = 2 ** (32 - bits);
  const n = base.split('.').reduce((acc, p) => acc * 256 + Number(p), 0);
  return { size, prefix: Math.floor(n / size) };
});
const V6_RANGES = V6_LOCAL.map(([base, bits]) => {
  const shift = BigInt(128 - bits);
  return { shift, prefix: (parseIPv6(base) ?? 0n) >> shift };
});

/** Whether an IPv4 address (as a number) falls in a local or special-purpose range. */
export function isLocalIPv4(ip: number): boolean {
  return V4_RANGES.some(({ size, prefix }) => Math.floor(ip / size) === prefix);
}

const NAT64_WKP = (parseIPv6('64:ff9b::') ?? 0n) >> 32n;
const SIX_TO_FOUR = 0x2002n;

/** The IPv4 address a routable IPv6 form carries (6to4, well-known NAT64), if any. */
export function embeddedIPv4(ip: bigint): number | undefined {
  if (ip >> 112n === SIX_TO_FOUR) return Number((ip >> 80n) & 0xffffffffn);
  if (ip >> 32n === NAT64_WKP) return Number(ip & 0xffffffffn);
  return undefined;
}

/** Whether an IPv6 address falls in a local or special-purpose range, or carries a local IPv4 address. */
export function isLocalIPv6(ip: bigint): boolean {
  const v4 = embeddedIPv4(ip);
  if (v4 !== undefined) return isLocalIPv4(v4);
  return V6_RANGES.some(({ shift, prefix }) => ip >> shift === prefix);
}
