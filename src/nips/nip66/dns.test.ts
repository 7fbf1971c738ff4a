import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startDnsServer } from '../../testing/dns-server.js';
import { checkDns, createDnsLookups, type DnsLookups } from './dns.js';

const noData = (): Promise<never> => Promise.reject(Object.assign(new Error('no data'), { code: 'ENODATA' }));

/** Fake lookups: every record type answers ENODATA unless given. */
function fakeLookups(overrides: Partial<DnsLookups> = {}): DnsLookups {
  return { resolve4: noData, resolve6: noData, resolveCname: noData, resolveNs: noData, reverse: noData, ...overrides };
}

/** A UDP "DNS server" that never answers. */
async function silentServer(): Promise<{ address: string } & AsyncDisposable> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(socket.address() as AddressInfo).port}`,
    [Symbol.asyncDispose]: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

describe('checkDns with a real DNS server', () => {
  it('reads A (with TTL) and AAAA records, sorted', async () => {
    await using server = await startDnsServer({
      'relay.example.com': { a: ['203.0.113.9', '198.51.100.7'], aaaa: ['2001:db8::2', '2001:db8::1'] },
    });
    const lookups = createDnsLookups({ servers: [server.address], timeoutMs: 2_000 });
    const result = await checkDns('Relay.Example.com.', { lookups });
    expect(result).toEqual({
      data: {
        dns_ips: ['198.51.100.7', '203.0.113.9'],
        dns_ttl: 60,
        dns_ips_v6: ['2001:db8::1', '2001:db8::2'],
      },
      logs: { success: true },
    });
    expect(server.queries).toEqual(
      expect.arrayContaining(['relay.example.com A', 'relay.example.com AAAA', 'example.com 2']),
    );
  });

  it('keeps AAAA alone when there is no A', async () => {
    await using server = await startDnsServer({ 'v6.example.com': { aaaa: ['2001:db8::5'] } });
    const lookups = createDnsLookups({ servers: [server.address], timeoutMs: 2_000 });
    expect(await checkDns('v6.example.com', { lookups })).toEqual({
      data: { dns_ips_v6: ['2001:db8::5'] },
      logs: { success: true },
    });
  });

  it('fails with dns for an unknown name', async () => {
    await using server = await startDnsServer({});
    const lookups = createDnsLookups({ servers: [server.address], timeoutMs: 2_000 });
    expect(await checkDns('nothing.example.com', { lookups })).toEqual({
      data: {},
      logs: { success: false, reason: 'dns' },
    });
  });

  it('fails with timeout when the server never answers, within the deadline', async () => {
    await using server = await silentServer();
    const lookups = createDnsLookups({ servers: [server.address], timeoutMs: 5_000 });
    const started = Date.now();
    const result = await checkDns('relay.example.com', { lookups, timeoutMs: 300 });
    expect(result).toEqual({ data: {}, logs: { success: false, reason: 'timeout' } });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('fails with timeout when every query times out before the deadline', async () => {
    await using server = await silentServer();
    const lookups = createDnsLookups({ servers: [server.address], timeoutMs: 200 });
    const result = await checkDns('relay.example.com', { lookups, timeoutMs: 5_000 });
    expect(result.logs).toEqual({ success: false, reason: 'timeout' });
  });

  it('rejects a malformed server address at creation', () => {
    expect(() => createDnsLookups({ servers: ['not a server'] })).toThrow();
  });
});

describe('checkDns with fake lookups', () => {
  it('fills every field', async () => {
    const asked: string[] = [];
    const lookups = fakeLookups({
      resolve4: async () => [
        { address: '203.0.113.9', ttl: 300 },
        { address: '198.51.100.7', ttl: 120 },
      ],
      resolve6: async () => ['2001:db8::1'],
      resolveCname: async () => ['edge.cdn.example.net', 'other.example.net'],
      resolveNs: async (domain) => {
        asked.push(domain);
        return ['ns2.example.co.uk', 'ns1.example.co.uk'];
      },
      reverse: async (ip) => {
        asked.push(ip);
        return ['host-7.example.net', 'alias.example.net'];
      },
    });
    const result = await checkDns('relay.sub.example.co.uk', { lookups });
    expect(result).toEqual({
      data: {
        dns_ips: ['198.51.100.7', '203.0.113.9'],
        dns_ttl: 120,
        dns_ips_v6: ['2001:db8::1'],
        dns_cname: 'edge.cdn.example.net',
        dns_ns: ['ns1.example.co.uk', 'ns2.example.co.uk'],
        dns_reverse: 'host-7.example.net',
      },
      logs: { success: true },
    });
    expect(asked).toEqual(['example.co.uk', '198.51.100.7']);
  });

  it('omits what failed besides A/AAAA', async () => {
    const lookups = fakeLookups({
      resolve4: async () => [{ address: '203.0.113.9', ttl: 30 }],
      resolveNs: () => Promise.reject(Object.assign(new Error('servfail'), { code: 'ESERVFAIL' })),
      reverse: () => Promise.reject(Object.assign(new Error('nxdomain'), { code: 'ENOTFOUND' })),
    });
    expect(await checkDns('relay.example.com', { lookups })).toEqual({
      data: { dns_ips: ['203.0.113.9'], dns_ttl: 30 },
      logs: { success: true },
    });
  });

  it('fails with dns when there is neither A nor AAAA', async () => {
    const lookups = fakeLookups({ resolveCname: async () => ['x.example.net'] });
    expect(await checkDns('relay.example.com', { lookups })).toEqual({
      data: {},
      logs: { success: false, reason: 'dns' },
    });
  });

  it('answers an IP literal with itself and its PTR only', async () => {
    const lookups = fakeLookups({ reverse: async () => ['host.example.net'] });
    expect(await checkDns('203.0.113.9', { lookups })).toEqual({
      data: { dns_ips: ['203.0.113.9'], dns_reverse: 'host.example.net' },
      logs: { success: true },
    });
    expect(await checkDns('[2001:db8::1]', { lookups: fakeLookups() })).toEqual({
      data: { dns_ips_v6: ['2001:db8::1'] },
      logs: { success: true },
    });
  });

  it('does not ask NS when there is no registered domain', async () => {
    const asked: string[] = [];
    const lookups = fakeLookups({
      resolve4: async () => [{ address: '203.0.113.9', ttl: 30 }],
      resolveNs: async (d) => {
        asked.push(d);
        return ['ns.example'];
      },
    });
    const result = await checkDns('localhost', { lookups });
    expect(result.data.dns_ns).toBeUndefined();
    expect(asked).toEqual([]);
  });

  it('fails with timeout when lookups hang and ignore their signal', async () => {
    const hang = (): Promise<never> => new Promise(() => undefined);
    const lookups = fakeLookups({ resolve4: hang, resolve6: hang });
    const started = Date.now();
    expect((await checkDns('relay.example.com', { lookups, timeoutMs: 200 })).logs).toEqual({
      success: false,
      reason: 'timeout',
    });
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('fails with timeout when the caller aborts, even after A answered', async () => {
    const controller = new AbortController();
    const lookups = fakeLookups({
      resolve4: async () => [{ address: '203.0.113.9', ttl: 30 }],
      reverse: () => {
        controller.abort();
        return new Promise(() => undefined);
      },
    });
    expect((await checkDns('relay.example.com', { lookups, signal: controller.signal })).logs).toEqual({
      success: false,
      reason: 'timeout',
    });
  });
});
