import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactDir } from '../../testing/artifacts.js';
import { writeTestGeoDatabases } from '../../testing/test-geo-databases.js';
import { type GeoReaders, openGeoReaders } from '../../utils/geoip.js';
import type { ResolvedAddress, Resolver } from '../../utils/net/resolve.js';
import { canCheckNet, checkNet, toNetData } from './net.js';

let dir: string;
let readers: GeoReaders;

// Public-looking addresses: only ever looked up in the test databases, never contacted.
const table: Record<string, readonly ResolvedAddress[]> = {
  'relay.example.com': [
    { address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 },
    { address: '93.184.216.34', family: 4 },
    { address: '93.184.216.35', family: 4 },
    { address: '2a00:1450:4001:81c::200e', family: 6 },
  ],
  'v6only.example.com': [{ address: '2a00:1450:4001:81c::200e', family: 6 }],
  'mixed.example.com': [
    { address: '8.8.8.8', family: 4 },
    { address: '2a00:1450:4001:81c::200e', family: 6 },
  ],
  'nowhere.example.com': [
    { address: '8.8.8.8', family: 4 },
    { address: '2001:4860:4860::8888', family: 6 },
  ],
};
const resolver: Resolver = async (host) => {
  const found = table[host];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return found;
};

beforeAll(async () => {
  dir = await artifactDir('nip66-net-');
  readers = await openGeoReaders(await writeTestGeoDatabases(dir));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('checkNet', () => {
  it('looks up the first IPv4 and the first IPv6 address; the AS comes from the IPv4 match', async () => {
    expect(await checkNet('relay.example.com', { readers, resolver })).toEqual({
      data: {
        net_ip: '93.184.216.34',
        net_ipv6: '2606:2800:220:1:248:1893:25c8:1946',
        net_asn: 15133,
        net_asn_org: 'Edgecast',
        net_network: '93.184.0.0/16',
        net_network_v6: '2606:2800::/32',
      },
      logs: { success: true },
    });
  });

  it('takes the AS from the IPv6 match when there is no IPv4 one', async () => {
    const expected = {
      net_ipv6: '2a00:1450:4001:81c::200e',
      net_asn: 15169,
      net_asn_org: 'Google',
      net_network_v6: '2a00:1450::/32',
    };
    expect((await checkNet('v6only.example.com', { readers, resolver })).data).toEqual(expected);
    expect((await checkNet('mixed.example.com', { readers, resolver })).data).toEqual({
      net_ip: '8.8.8.8',
      ...expected,
    });
  });

  it('takes an IP literal as is', async () => {
    expect((await checkNet('93.184.216.34', { readers })).data).toEqual({
      net_ip: '93.184.216.34',
      net_asn: 15133,
      net_asn_org: 'Edgecast',
      net_network: '93.184.0.0/16',
    });
    expect((await checkNet('[2a00:1450::1]', { readers })).data.net_network_v6).toBe('2a00:1450::/32');
  });

  it('fails with "not found" when no address is in the database', async () => {
    expect(await checkNet('nowhere.example.com', { readers, resolver })).toEqual({
      data: {},
      logs: { success: false, reason: 'not found' },
    });
  });

  it('fails with the resolver reason', async () => {
    expect((await checkNet('unknown.example.com', { readers, resolver })).logs).toEqual({
      success: false,
      reason: 'dns',
    });
  });

  it('needs an ASN database', async () => {
    expect(canCheckNet(readers)).toBe(true);
    expect(canCheckNet({ ...(readers.city && { city: readers.city }) })).toBe(false);
    await expect(checkNet('93.184.216.34', { readers: {} })).rejects.toThrow(/ASN database/);
  });
});

describe('toNetData', () => {
  it('keeps an AS number-less IPv4 match from hiding the IPv6 AS', () => {
    expect(
      toNetData('1.2.3.4', '2001:db8::1', { network: '1.2.3.0/24' }, { asn: 64500, network: '2001:db8::/32' }),
    ).toEqual({
      net_ip: '1.2.3.4',
      net_ipv6: '2001:db8::1',
      net_asn: 64500,
      net_network: '1.2.3.0/24',
      net_network_v6: '2001:db8::/32',
    });
  });
});
