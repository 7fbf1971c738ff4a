import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createExpiredCertificate, createTestCertificate } from '../../testing/certs.js';
import { generateEvents } from '../../testing/events.js';
import { startTestRelay } from '../../testing/relay/relay.js';
import { startSocksServer } from '../../testing/socks5.js';
import type { Resolver } from '../../utils/net/resolve.js';
import { connectRelay } from './connection.js';
import { subscribe } from './subscription.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});
const later = <T extends { close(): unknown }>(x: T): T => {
  cleanup.push(() => void x.close());
  return x;
};

const events = generateEvents(20, { seed: 21 });
const ONION = `${'a'.repeat(56)}.onion`;

describe('transport: TLS', () => {
  it('refuses a self-signed certificate, and connects without verification only when allowed (recorded)', async () => {
    const relay = later(await startTestRelay({ events, tls: await createTestCertificate() }));
    expect(relay.url.startsWith('wss://')).toBe(true);
    const strict = await connectRelay(relay.url, { network: 'local', allowLocal: true });
    expect(strict).toMatchObject({ ok: false, reason: 'tls' });
    const lenient = await connectRelay(relay.url, { network: 'local', allowLocal: true, allowInsecure: true });
    if (!lenient.ok) throw new Error(lenient.detail);
    later(lenient.value);
    expect(lenient.value.insecure).toBe(true);
    const sub = subscribe(lenient.value, [{}]);
    let n = 0;
    for await (const _ of sub) n += 1;
    expect(n).toBe(20);
  });

  it('keeps the upgrade response headers (for the NIP-66 http check)', async () => {
    const relay = later(await startTestRelay({ upgradeHeaders: { server: 'strfry', 'x-powered-by': 'nostr' } }));
    const c = await connectRelay(relay.url, { network: 'local', allowLocal: true });
    if (!c.ok) throw new Error(c.reason);
    later(c.value);
    expect(c.value.headers).toMatchObject({ server: 'strfry', 'x-powered-by': 'nostr', upgrade: 'websocket' });
  });

  it('refuses an expired certificate as tls', async () => {
    const relay = later(await startTestRelay({ tls: await createExpiredCertificate() }));
    const r = await connectRelay(relay.url, { network: 'local', allowLocal: true });
    expect(r).toMatchObject({ ok: false, reason: 'tls' });
    expect(r.ok ? '' : r.detail).toMatch(/expired/i);
  });
});

describe('transport: overlays through SOCKS5', () => {
  it('reaches an onion relay through the proxy, which resolves the name', async () => {
    const relay = later(await startTestRelay({ events }));
    const socks = later(await startSocksServer({ [ONION]: '127.0.0.1' }));
    const url = `ws://${ONION}:${relay.port}`;
    const refusingResolver: Resolver = async () => {
      throw new Error('the client must not resolve overlay names');
    };
    const conn = await connectRelay(url, { network: 'tor', proxyUrl: socks.url, resolver: refusingResolver });
    if (!conn.ok) throw new Error(`${conn.reason}: ${conn.detail}`);
    later(conn.value);
    expect(socks.requests).toEqual([`${ONION}:${relay.port}`]);
    const sub = subscribe(conn.value, [{ limit: 5 }]);
    let n = 0;
    for await (const _ of sub) n += 1;
    expect(n).toBe(5);
  });

  it('fails as refused without a proxy, and when the proxy cannot reach the relay', async () => {
    expect(await connectRelay(`ws://${ONION}`, { network: 'tor' })).toMatchObject({ ok: false, reason: 'refused' });
    const socks = later(await startSocksServer({ [ONION]: '127.0.0.1' }));
    const r = await connectRelay(`ws://${ONION}:1`, { network: 'tor', proxyUrl: socks.url, connectTimeoutMs: 3000 });
    expect(r.ok).toBe(false);
  });
});

describe('transport: name resolution guard and local network', () => {
  it('refuses a clearnet name that resolves to a local address unless local is enabled', async () => {
    const relay = later(await startTestRelay({ events }));
    const resolver: Resolver = async () => [{ address: '127.0.0.1', family: 4 }];
    const url = `ws://relay.example.com:${relay.port}`;
    const refused = await connectRelay(url, { network: 'clearnet', resolver });
    expect(refused).toMatchObject({ ok: false, reason: 'refused' });
    expect(refused.ok ? '' : refused.detail).toMatch(/local address 127\.0\.0\.1/);
    expect(relay.connections()).toBe(0);
    const allowed = await connectRelay(url, { network: 'clearnet', resolver, allowLocal: true });
    expect(allowed.ok).toBe(true);
    if (allowed.ok) later(allowed.value);
  });

  it('refuses the local network unless enabled, maps DNS failures and refused ports', async () => {
    const relay = later(await startTestRelay());
    expect(await connectRelay(relay.url, { network: 'local' })).toMatchObject({ ok: false, reason: 'refused' });
    const nx: Resolver = async () => {
      throw Object.assign(new Error('no such name'), { code: 'ENOTFOUND' });
    };
    expect(await connectRelay('wss://nx.example.com', { network: 'clearnet', resolver: nx })).toMatchObject({
      ok: false,
      reason: 'dns',
    });
    const closedPort = await connectRelay('ws://127.0.0.1:1', { network: 'local', allowLocal: true });
    expect(closedPort).toMatchObject({ ok: false, reason: 'refused' });
  });

  it('times out a server that accepts TCP but never answers the upgrade, and respects an abort signal', async () => {
    const silent = createServer(() => undefined);
    silent.listen(0, '127.0.0.1');
    await new Promise((r) => silent.once('listening', r));
    cleanup.push(() => {
      silent.closeAllConnections();
      silent.close();
    });
    const url = `ws://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const started = Date.now();
    const r = await connectRelay(url, { network: 'local', allowLocal: true, connectTimeoutMs: 500 });
    expect(r).toMatchObject({ ok: false, reason: 'timeout' });
    expect(Date.now() - started).toBeLessThan(5000);
    const aborted = await connectRelay(url, { network: 'local', allowLocal: true, signal: AbortSignal.timeout(200) });
    expect(aborted).toMatchObject({ ok: false, reason: 'timeout' });
  });

  it('reports an HTTP server that does not upgrade as not-nostr or by status', async () => {
    const statuses = [200, 429, 500];
    for (const status of statuses) {
      const web = createServer((_req, res) => {
        res.writeHead(status);
        res.end('hello');
      });
      web.listen(0, '127.0.0.1');
      await new Promise((r) => web.once('listening', r));
      const url = `ws://127.0.0.1:${(web.address() as AddressInfo).port}`;
      const r = await connectRelay(url, { network: 'local', allowLocal: true });
      web.closeAllConnections();
      web.close();
      expect(r).toMatchObject({ ok: false, reason: { 200: 'not-nostr', 429: 'rate-limited', 500: 'http' }[status] });
    }
  });
});
