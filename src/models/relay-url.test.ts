import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectNetwork } from './network.js';
import { parseRelay } from './relay.js';
import { InvalidRelayUrlError, normalizeRelayUrl, parseRelayUrl } from './relay-url.js';

const onion56 = 'a'.repeat(56);
const b32 = 'b'.repeat(52);

describe('normalizeRelayUrl: the reference examples', () => {
  it.each([
    ['wss://relay.example.com//nostr//', 'wss://relay.example.com/nostr'],
    ['wss://[2606:4700:4700:0000:0000:0000:0000:1111]:8080', 'wss://[2606:4700:4700::1111]:8080'],
    [`wss://${onion56}.onion`, `ws://${onion56}.onion`],
    ['wss://relay.i2p:80', 'ws://relay.i2p'],
    ['wss://test_room.spaces.coracle.social', 'wss://test_room.spaces.coracle.social'],
    ['wss://café.com', 'wss://xn--caf-dma.com'],
    ['wss://r.example.com/v1?x=1#top', 'wss://r.example.com/v1'],
    ['wss://relay.damus.io.', 'wss://relay.damus.io'],
    ['ws://relay.damus.io:80', 'wss://relay.damus.io:80'],
    ['wss://relay.damus.io:443', 'wss://relay.damus.io'],
    [`wss://${onion56}.onion:443`, `ws://${onion56}.onion:443`],
    ['wss://atlas.nostr.land/wss://relay.damus.io', 'wss://atlas.nostr.land'],
    ['wss://relay.com/café', 'wss://relay.com'],
    ['wss://relay.com/%0Awss:/x', 'wss://relay.com'],
    ['wss://relay.com/a/../b', 'wss://relay.com/b'],
    ['wss://relay.com/a/./b', 'wss://relay.com/a/b'],
    ['wss://relay.com/../a', 'wss://relay.com/a'],
    ['  WSS://user:pw@Relay.Example.COM/Path%2d1  ', 'wss://relay.example.com/Path%2D1'],
    [`ws://${b32}.b32.i2p`, `ws://${b32}.b32.i2p`],
    [`wss://${b32}.loki`, `ws://${b32}.loki`],
    ['wss://1.1.1.1:7777', 'wss://1.1.1.1:7777'],
    ['wss://caf%C3%A9.com/', 'wss://xn--caf-dma.com'],
    ['wss://RELAY.example.com:/x', 'wss://relay.example.com/x'],
    ['wss://[2001:4860:0:0:0:0:0:8888]:443', 'wss://[2001:4860::8888]'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeRelayUrl(input)).toBe(expected);
  });

  it.each([
    ['wss://singlehost', 'invalid host'],
    ['wss://invalid_host', 'invalid host'],
    ['http://x.com', 'scheme'],
    ['relay.example.com', 'not a URL'],
    ['wss://127.0.0.1', 'local addresses not allowed'],
    ['wss://10.0.0.1', 'local addresses not allowed'],
    ['wss://[::1]', 'local addresses not allowed'],
    ['wss://[fe80::1]', 'local addresses not allowed'],
    ['wss://localhost', 'local addresses not allowed'],
    ['wss://010.0.0.1', 'invalid host'],
    ['wss://relay\u0000.com', 'null byte'],
    ['wss://rel ay.com', 'whitespace'],
    ['wss://relay.com:0', 'port'],
    ['wss://relay.com:70000', 'port'],
    [`wss://${'a'.repeat(60)}.onion`, 'invalid host'],
    [`wss://x.com/${'a'.repeat(2100)}`, 'longer than 2048'],
    ['wss://2606%3A4700%3A%3A1111', 'invalid host'],
    ['wss://2606:4700::1111', 'invalid host'],
    ['wss://[2606:4700::1111', 'unclosed'],
    ['wss://[fe80::1%25eth0]', 'invalid IPv6'],
    ['wss://xn--café.com', 'internationalised'],
    [`wss://${'é'.repeat(70)}.com`, 'invalid host'],
    ['wss://re%zzlay.com', 'percent-encoding'],
  ])('%s is rejected (%s)', (input, reason) => {
    expect(() => normalizeRelayUrl(input)).toThrow(InvalidRelayUrlError);
    expect(() => normalizeRelayUrl(input)).toThrow(reason);
  });

  it('accepts local addresses only when the local network is enabled, keeping the scheme', () => {
    expect(normalizeRelayUrl('ws://127.0.0.1:7777', { allowLocal: true })).toBe('ws://127.0.0.1:7777');
    expect(normalizeRelayUrl('wss://localhost:443/', { allowLocal: true })).toBe('wss://localhost');
    expect(normalizeRelayUrl('ws://[::1]:80', { allowLocal: true })).toBe('ws://[::1]');
    const parsed = parseRelayUrl('ws://127.0.0.1:7777', { allowLocal: true });
    expect(parsed.ok && parsed.value.network).toBe('local');
  });
});

describe('detectNetwork', () => {
  it.each([
    ['relay.damus.io', 'clearnet'],
    [`${onion56}.onion`, 'tor'],
    [`sub.${onion56}.onion`, 'tor'],
    [`${'a'.repeat(16)}.onion`, 'tor'],
    ['short.onion', 'unknown'],
    ['relay.i2p', 'i2p'],
    [`${b32}.loki`, 'loki'],
    ['x.loki', 'unknown'],
    ['localhost', 'local'],
    ['sub.localhost', 'clearnet'],
    ['100.64.1.1', 'local'],
    ['198.18.0.1', 'local'],
    ['224.1.1.1', 'local'],
    ['8.8.8.8', 'clearnet'],
    ['::ffff:1.2.3.4', 'local'],
    ['2001:db8::1', 'local'],
    ['fc00::1', 'local'],
    ['2606:4700::1111', 'clearnet'],
    ['example.123', 'unknown'],
    ['-bad.com', 'unknown'],
  ])('%s is %s', (host, network) => {
    expect(detectNetwork(host)).toBe(network);
  });
});

describe('parseRelay', () => {
  it('rejects a URL that is not canonical and a bad discovered_at', () => {
    expect(parseRelay('wss://relay.damus.io/', 1).ok).toBe(false);
    const r = parseRelay('wss://relay.damus.io/', 1);
    expect(!r.ok && r.reason).toBe('not in canonical form');
    expect(parseRelay('wss://relay.damus.io', -1).ok).toBe(false);
    expect(parseRelay('wss://relay.damus.io', 5)).toEqual({
      ok: true,
      value: { url: 'wss://relay.damus.io', network: 'clearnet', discoveredAt: 5 },
    });
  });
});

describe('normalizeRelayUrl properties', () => {
  const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/);
  const urlish = fc.oneof(
    fc.string({ maxLength: 80 }),
    fc
      .tuple(
        fc.constantFrom('ws', 'wss', 'WSS', 'http'),
        fc.array(label, { minLength: 1, maxLength: 4 }),
        fc.option(fc.integer({ min: 0, max: 70000 })),
        fc.array(fc.constantFrom('a', 'b1', '..', '.', '', '%41', 'x:y', '~z', 'é', '%zz'), { maxLength: 5 }),
      )
      .map(
        ([s, labels, port, path]) => `${s}://${labels.join('.')}${port === null ? '' : `:${port}`}/${path.join('/')}`,
      ),
    fc
      .tuple(
        fc.constantFrom('ws', 'wss'),
        fc.oneof(fc.ipV4(), fc.ipV4Extended(), fc.ipV6()),
        fc.constantFrom('plain', 'brackets', 'encoded'),
        fc.option(fc.integer({ min: 1, max: 65535 })),
      )
      .map(([s, ip, style, port]) => {
        const host =
          style === 'brackets'
            ? `[${ip}]`
            : style === 'encoded'
              ? ip.replaceAll(':', '%3A').replaceAll('.', '%2E')
              : ip;
        return `${s}://${host}${port === null ? '' : `:${port}`}`;
      }),
  );

  it('is idempotent, keeps the network, stays short, and only throws InvalidRelayUrlError', () => {
    fc.assert(
      fc.property(urlish, fc.boolean(), (input, allowLocal) => {
        let out: string;
        try {
          out = normalizeRelayUrl(input, { allowLocal });
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidRelayUrlError);
          return;
        }
        expect(normalizeRelayUrl(out, { allowLocal })).toBe(out);
        expect(out.length).toBeLessThanOrEqual(2048);
        const a = parseRelayUrl(input, { allowLocal });
        const b = parseRelayUrl(out, { allowLocal });
        expect(a.ok && b.ok && a.value.network === b.value.network).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
