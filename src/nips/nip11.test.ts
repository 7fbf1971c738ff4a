import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchRelayInfo, parseRelayInfo, relayInfoUrl } from './nip11.js';

const servers: http.Server[] = [];

/** Serve one fixed response; returns the relay (ws) URL and the requests seen. */
async function relay(status: number, type: string, body: string | Buffer) {
  const seen: { url: string | undefined; accept: string | undefined }[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ url: req.url, accept: req.headers.accept });
    res.writeHead(status, { 'content-type': type }).end(body);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `ws://127.0.0.1:${port}`, seen };
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const opts = { allowLocal: true, timeoutMs: 5000 };
const PK = 'ab'.repeat(32);

describe('fetchRelayInfo', () => {
  it('fetches the document from the mapped http url, same path, with the NIP-11 Accept', async () => {
    const doc = { name: 'r', supported_nips: [11, 1], limitation: { auth_required: false }, extra: 1 };
    const { url, seen } = await relay(200, 'application/nostr+json; charset=utf-8', JSON.stringify(doc));
    const r = await fetchRelayInfo(`${url}/some/path`, opts);
    expect(r).toEqual({
      ok: true,
      value: { name: 'r', supported_nips: [1, 11], limitation: { auth_required: false } },
    });
    expect(seen).toEqual([{ url: '/some/path', accept: 'application/nostr+json' }]);
  });

  it('accepts application/json', async () => {
    const { url } = await relay(200, 'application/json', '{"name":"j"}');
    expect(await fetchRelayInfo(url, opts)).toEqual({ ok: true, value: { name: 'j' } });
  });

  it.each([
    ['status 404', 404, 'application/nostr+json', '{}', 'http'],
    ['text/html', 200, 'text/html', '{}', 'not-nostr'],
    ['broken JSON', 200, 'application/nostr+json', '{"name":', 'invalid'],
    ['a JSON array', 200, 'application/nostr+json', '[1,2]', 'invalid'],
    ['a JSON string', 200, 'application/nostr+json', '"relay"', 'invalid'],
    ['JSON null', 200, 'application/nostr+json', 'null', 'invalid'],
    ['a 70 kB document', 200, 'application/nostr+json', `{"description":"${'x'.repeat(70_000)}"}`, 'too-large'],
  ])('%s fails with %s', async (_label, status, type, body, reason) => {
    const { url } = await relay(status, type, body);
    expect(await fetchRelayInfo(url, opts)).toMatchObject({ ok: false, reason });
  });

  it('says which status it got', async () => {
    const { url } = await relay(503, 'application/nostr+json', '{}');
    expect(await fetchRelayInfo(url, opts)).toEqual({ ok: false, reason: 'http', detail: 'status 503' });
  });

  it('honours a smaller maxBytes', async () => {
    const { url } = await relay(200, 'application/nostr+json', '{"name":"a long enough name"}');
    expect(await fetchRelayInfo(url, { ...opts, maxBytes: 10 })).toMatchObject({ ok: false, reason: 'too-large' });
  });

  it('refuses a url that is not ws(s)', async () => {
    expect(await fetchRelayInfo('https://relay.example.com', opts)).toMatchObject({ ok: false, reason: 'invalid' });
  });
});

describe('relayInfoUrl', () => {
  it.each([
    ['ws://relay.example.com', 'http://relay.example.com/'],
    ['wss://relay.example.com/nostr/v1', 'https://relay.example.com/nostr/v1'],
    ['wss://relay.example.com:4443/a?b=c', 'https://relay.example.com:4443/a?b=c'],
    ['ws://127.0.0.1:7777/path', 'http://127.0.0.1:7777/path'],
    ['https://relay.example.com', undefined],
    ['not a url', undefined],
  ])('%s → %s', (input, expected) => {
    expect(relayInfoUrl(input)).toBe(expected);
  });
});

describe('parseRelayInfo', () => {
  it('drops bad fields and keeps the good ones exactly', () => {
    const info = parseRelayInfo({
      name: 42,
      description: 'a relay',
      pubkey: PK.toUpperCase(),
      self: PK,
      contact: 'mailto:op@example.com',
      supported_nips: [1, '2', 11, 1, 2.5, 9],
      limitation: { max_limit: -1, auth_required: true, max_message_length: 16384, payment_required: 'no' },
      relay_countries: ['DE', 7, 'US'],
      tags: 'sfw-only',
      unknown_field: 'ignored',
    });
    expect(info).toEqual({
      description: 'a relay',
      self: PK,
      contact: 'mailto:op@example.com',
      supported_nips: [1, 9, 11],
      limitation: { auth_required: true, max_message_length: 16384 },
      relay_countries: ['DE', 'US'],
    });
  });

  it('keeps valid retention and fee entries and drops bad ones', () => {
    const info = parseRelayInfo({
      retention: [
        { kinds: [0, 1, [5, 7], [40, 49]], time: 3600 },
        { kinds: [[40000, 49999]], time: 100 },
        { time: null, count: 1000, note: 'x' },
        { kinds: ['one'] },
        { count: -3 },
        'nope',
      ],
      fees: {
        admission: [
          { amount: 1000000, unit: 'msats' },
          { amount: 'free', unit: 'msats' },
        ],
        subscription: [{ amount: 5000000, unit: 'msats', period: 2592000 }],
        publication: [
          { kinds: [4], amount: 100, unit: 'msats' },
          { kinds: [4.5], amount: 1, unit: 'msats' },
        ],
        other: [{ amount: 1, unit: 'msats' }],
      },
    });
    expect(info).toEqual({
      retention: [
        { kinds: [0, 1, [5, 7], [40, 49]], time: 3600 },
        { kinds: [[40000, 49999]], time: 100 },
        { time: null, count: 1000 },
      ],
      fees: {
        admission: [{ amount: 1000000, unit: 'msats' }],
        subscription: [{ amount: 5000000, unit: 'msats', period: 2592000 }],
        publication: [{ kinds: [4], amount: 100, unit: 'msats' }],
      },
    });
  });

  it('keeps every documented string and list field', () => {
    const strings = ['banner', 'icon', 'software', 'version', 'privacy_policy', 'terms_of_service', 'posting_policy'];
    const doc = Object.fromEntries([...strings.map((k) => [k, `v-${k}`]), ['payments_url', 'https://p.example']]);
    const info = parseRelayInfo({ ...doc, pubkey: PK, language_tags: ['en'], tags: ['sfw-only'], attributes: ['a'] });
    expect(info).toEqual({ ...doc, pubkey: PK, language_tags: ['en'], tags: ['sfw-only'], attributes: ['a'] });
  });

  it.each([null, 'relay', 42, [1, 2], undefined])('returns an empty document for %s', (value) => {
    expect(parseRelayInfo(value)).toEqual({});
  });

  it('drops a limitation or fees that is not an object', () => {
    expect(parseRelayInfo({ limitation: [1], fees: 'free', supported_nips: 'all' })).toEqual({});
  });
});
