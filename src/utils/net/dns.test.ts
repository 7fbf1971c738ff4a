import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectRelay } from '../../nips/nip01/connection.js';
import { startDnsServer, type TestDnsServer } from '../../testing/dns-server.js';
import { startTestRelay, type TestRelay } from '../../testing/relay/relay.js';
import { createDnsResolver } from './dns.js';
import { resolveGuarded } from './resolve.js';

const RECORDS = {
  'relay.example.com': { a: ['127.0.0.1'], aaaa: ['::1'] },
  'public.example.com': { a: ['93.184.216.34'], aaaa: ['2606:2800:220:1:248:1893:25c8:1946'] },
  'v4only.example.com': { a: ['93.184.216.34'] },
};

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function dnsServer(records: Parameters<typeof startDnsServer>[0] = RECORDS): Promise<TestDnsServer> {
  const server = await startDnsServer(records);
  cleanups.push(() => server.close());
  return server;
}

async function relay(): Promise<TestRelay> {
  const r = await startTestRelay();
  cleanups.push(() => r.close());
  return r;
}

/** A UDP socket on 127.0.0.1 that reads queries and never answers. */
async function silentServer(): Promise<string> {
  const socket: Socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return `127.0.0.1:${(socket.address() as AddressInfo).port}`;
}

describe('createDnsResolver against a real local DNS server', () => {
  it('returns the A and AAAA addresses of a name', async () => {
    const server = await dnsServer();
    const addresses = await createDnsResolver([server.address])('relay.example.com', {});
    expect([...addresses].sort((x, y) => x.family - y.family)).toEqual([
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ]);
    expect(server.queries.sort()).toEqual(['relay.example.com A', 'relay.example.com AAAA']);
  });

  it('matches names case-insensitively and accepts a name with only one family', async () => {
    const server = await dnsServer();
    const addresses = await createDnsResolver([server.address])('V4Only.Example.COM', {});
    expect(addresses).toEqual([{ address: '93.184.216.34', family: 4 }]);
  });

  it('rejects an unknown name with ENOTFOUND', async () => {
    const server = await dnsServer();
    await expect(createDnsResolver([server.address])('nowhere.example.com', {})).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
    expect(server.queries).toContain('nowhere.example.com A');
  });

  it('rejects a known name without addresses with ENOTFOUND', async () => {
    const server = await dnsServer({ 'empty.example.com': {} });
    await expect(createDnsResolver([server.address])('empty.example.com', {})).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
  });

  it('lets a public name through resolveGuarded', async () => {
    const server = await dnsServer();
    const resolver = createDnsResolver([server.address]);
    const addresses = await resolveGuarded('public.example.com', { resolver });
    expect(addresses.map((a) => a.address).sort()).toEqual(['2606:2800:220:1:248:1893:25c8:1946', '93.184.216.34']);
  });

  it('ignores malformed packets and keeps answering', async () => {
    const server = await dnsServer();
    const client = createSocket('udp4');
    await new Promise<void>((resolve) =>
      client.send(Buffer.from([1, 2, 3]), Number(server.address.split(':')[1]), '127.0.0.1', () => resolve()),
    );
    client.close();
    const addresses = await createDnsResolver([server.address])('v4only.example.com', {});
    expect(addresses).toHaveLength(1);
    expect(server.queries).toEqual(['v4only.example.com A', 'v4only.example.com AAAA']);
  });
});

describe('the resolver in connectRelay', () => {
  it('refuses a clearnet name that resolves to 127.0.0.1 before connecting', async () => {
    const [server, r] = await Promise.all([dnsServer(), relay()]);
    const resolver = createDnsResolver([server.address]);
    const result = await connectRelay(`ws://relay.example.com:${r.port}`, { network: 'clearnet', resolver });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toBe('refused');
    expect(result.detail).toContain('127.0.0.1');
    expect(r.connections()).toBe(0);
    expect(server.queries).toContain('relay.example.com A');
  });

  it('connects to the same name when local addresses are allowed', async () => {
    const [server, r] = await Promise.all([dnsServer({ 'relay.example.com': { a: ['127.0.0.1'] } }), relay()]);
    const resolver = createDnsResolver([server.address]);
    const url = `ws://relay.example.com:${r.port}`;
    const result = await connectRelay(url, { network: 'clearnet', resolver, allowLocal: true });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    result.value.close();
    expect(r.connections()).toBe(1);
    expect(server.queries).toContain('relay.example.com A');
  });

  it('times out against a server that never answers, and connectRelay reports timeout', async () => {
    const address = await silentServer();
    const resolver = createDnsResolver([address], { timeoutMs: 300 });
    const started = Date.now();
    await expect(resolver('relay.example.com', {})).rejects.toMatchObject({ code: 'ETIMEOUT' });
    expect(Date.now() - started).toBeLessThan(2_000);
    const result = await connectRelay('ws://relay.example.com:7777', { network: 'clearnet', resolver });
    expect(result).toMatchObject({ ok: false, reason: 'timeout' });
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('stops a lookup on abort with a TimeoutError, leaving a concurrent lookup alone', async () => {
    const [silent, server] = await Promise.all([silentServer(), dnsServer()]);
    const resolver = createDnsResolver([silent, server.address], { timeoutMs: 1_000 });
    const started = Date.now();
    const aborted = resolver('relay.example.com', { signal: AbortSignal.timeout(100) });
    const other = resolver('v4only.example.com', {});
    await expect(aborted).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeLessThan(900);
    await expect(other).resolves.toEqual([{ address: '93.184.216.34', family: 4 }]);
  });
});
