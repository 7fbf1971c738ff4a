import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isLocalAddress } from '../utils/net/resolve.js';
import { formatIPv6, isLocalIPv4, isLocalIPv6, parseIPv4, parseIPv6 } from './ip.js';
import { detectNetwork } from './network.js';
import { parseRelayUrl } from './relay-url.js';

const v4Text = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join('.');
const hex = (n: number): string => `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;

/** Every IPv6 text form that embeds an IPv4 address, and whether the form is routed across the Internet. */
const FORMS: readonly { name: string; routable: boolean; encode: (v4: number) => string[] }[] = [
  {
    name: 'IPv4-compatible',
    routable: false,
    encode: (n) => [`::${v4Text(n)}`, `::${hex(n)}`, `0:0:0:0:0:0:${hex(n)}`],
  },
  { name: 'IPv4-mapped', routable: false, encode: (n) => [`::ffff:${v4Text(n)}`, `::FFFF:${hex(n).toUpperCase()}`] },
  { name: 'IPv4-translated', routable: false, encode: (n) => [`::ffff:0:${v4Text(n)}`, `0::ffff:0:${hex(n)}`] },
  {
    name: '6to4',
    routable: true,
    encode: (n) => [`2002:${hex(n)}::`, `2002:${hex(n)}:1::1`, `2002:${hex(n)}:0:0:0:0:0`],
  },
  { name: 'NAT64 well-known', routable: true, encode: (n) => [`64:ff9b::${v4Text(n)}`, `64:ff9b::${hex(n)}`] },
  { name: 'NAT64 local-use', routable: false, encode: (n) => [`64:ff9b:1::${v4Text(n)}`, `64:ff9b:1:0:0:0:${hex(n)}`] },
];

// local IPv4 ranges (a sample of each kind) and public addresses
const localV4 = fc.oneof(
  fc.integer({ min: 0, max: 0xffffff }).map((x) => (127 << 24) + x),
  fc.integer({ min: 0, max: 0xffffff }).map((x) => (10 << 24) + x),
  fc.integer({ min: 0, max: 0xfffff }).map((x) => 0xac100000 + x),
  fc.integer({ min: 0, max: 0xffff }).map((x) => 0xc0a80000 + x),
  fc.integer({ min: 0, max: 0xffff }).map((x) => 0xa9fe0000 + x),
  fc.integer({ min: 0, max: 0x3fffff }).map((x) => 0x64400000 + x),
  fc.integer({ min: 0, max: 0xffffff }).map((x) => x),
);
const publicV4 = fc.integer({ min: 0, max: 0xffffffff }).filter((n) => !isLocalIPv4(n));

function v6(text: string): bigint {
  const value = parseIPv6(text);
  if (value === undefined) throw new Error(`not parsed: ${text}`);
  return value;
}

describe('the address policy', () => {
  it('refuses the IPv6 forms that embed or denote local addresses', () => {
    for (const host of [
      '::7f00:1',
      '::a9fe:a9fe',
      '2002:7f00:1::',
      '64:ff9b:1::a00:1',
      'fec0::1',
      'fd00::1',
      'fe80::1',
    ]) {
      expect(isLocalIPv6(v6(host)), host).toBe(true);
      expect(isLocalAddress(host), host).toBe(true);
      expect(detectNetwork(host), host).toBe('local');
      const r = parseRelayUrl(`wss://[${host}]`);
      expect(r.ok, host).toBe(false);
    }
    expect(parseRelayUrl('wss://[2002:808:808::]').ok).toBe(true);
    expect(parseRelayUrl('wss://[2606:4700::1111]').ok).toBe(true);
  });

  it('refuses every local IPv4 address in every IPv6 form', () => {
    fc.assert(
      fc.property(localV4, (n) => {
        expect(isLocalIPv4(n)).toBe(true);
        for (const form of FORMS)
          for (const text of form.encode(n)) {
            expect(isLocalIPv6(v6(text)), `${form.name} ${text}`).toBe(true);
            expect(isLocalAddress(text), text).toBe(true);
            expect(parseRelayUrl(`wss://[${text}]/`).ok, text).toBe(false);
          }
      }),
      { numRuns: 500 },
    );
  });

  it('accepts a public IPv4 address in the routable forms only', () => {
    fc.assert(
      fc.property(publicV4, (n) => {
        for (const form of FORMS)
          for (const text of form.encode(n)) {
            expect(isLocalIPv6(v6(text)), `${form.name} ${text}`).toBe(!form.routable);
            // the stored URL is the canonical text of the same address
            const url = parseRelayUrl(`wss://[${text}]`);
            expect(url.ok, text).toBe(form.routable);
            if (url.ok) expect(url.value.url).toBe(`wss://[${formatIPv6(v6(text))}]`);
          }
      }),
      { numRuns: 500 },
    );
  });

  it('classifies site-local, unique-local and link-local by prefix, whatever the rest', () => {
    const suffix = fc.bigInt({ min: 0n, max: (1n << 118n) - 1n });
    fc.assert(
      fc.property(fc.constantFrom(0xfec0n, 0xfc00n, 0xfd00n, 0xfe80n), suffix, (top, rest) => {
        const ip = (top << 112n) | (rest & ((1n << 112n) - 1n));
        expect(isLocalIPv6(ip)).toBe(true);
        expect(isLocalAddress(formatIPv6(ip))).toBe(true);
      }),
    );
  });

  it('keeps IPv4 parsing strict', () => {
    expect(parseIPv4('127.0.0.1')).toBe(0x7f000001);
    expect(parseIPv4('127.000.0.1')).toBeUndefined();
  });
});
