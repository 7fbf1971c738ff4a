/** IP literal parsing and the special-purpose ranges that count as `local` (spec 03, step 4). */
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
  ['::1', 128],
  ['::', 128],
  ['::ffff:0:0', 96],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001::', 32],
  ['2001:2::', 48],
  ['2001:db8::', 32],
  ['2001:10::', 28],
  ['fc00::', 7],
  ['fe80::', 10],
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

/** Whether an IPv6 address falls in a local or special-purpose range. */
export function isLocalIPv6(ip: bigint): boolean {
  return V6_RANGES.some(({ shift, prefix }) => ip >> shift === prefix);
}
