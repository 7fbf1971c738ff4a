import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactDir } from '../../testing/artifacts.js';
import { writeTestGeoDatabases } from '../../testing/test-geo-databases.js';
import { type GeoReaders, openGeoReaders } from '../../utils/geoip.js';
import type { ResolvedAddress, Resolver } from '../../utils/net/resolve.js';
import { canCheckGeo, checkGeo, resolveHost, toGeoData } from './geo.js';

let dir: string;
let readers: GeoReaders;

// Public-looking addresses: only ever looked up in the test databases, never contacted.
const fakeResolver =
  (table: Record<string, readonly ResolvedAddress[]>): Resolver =>
  async (host) => {
    const found = table[host];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return found;
  };

const resolver = fakeResolver({
  'relay.example.com': [
    { address: '2a00:1450:4001:81c::200e', family: 6 },
    { address: '93.184.216.34', family: 4 },
  ],
  'v6only.example.com': [{ address: '2a00:1450:4001:81c::200e', family: 6 }],
  'fallback.example.com': [
    { address: '8.8.8.8', family: 4 },
    { address: '2a00:1450::1', family: 6 },
  ],
  'nowhere.example.com': [{ address: '8.8.4.4', family: 4 }],
  'local.example.com': [{ address: '192.168.1.10', family: 4 }],
});

beforeAll(async () => {
  dir = await artifactDir('nip66-geo-');
  readers = await openGeoReaders(await writeTestGeoDatabases(dir));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('checkGeo', () => {
  it('maps every field of a city record for an IP literal', async () => {
    const result = await checkGeo('93.184.216.34', { readers });
    expect(result).toEqual({
      data: {
        geo_country: 'DE',
        geo_country_name: 'Germany',
        geo_continent: 'EU',
        geo_continent_name: 'Europe',
        geo_is_eu: true,
        geo_region: 'Land Berlin',
        geo_city: 'Berlin',
        geo_postal: '10115',
        geo_lat: 52.52,
        geo_lon: 13.405,
        geo_accuracy: 20,
        geo_tz: 'Europe/Berlin',
        geo_hash: 'u33dc0cpp',
        geo_geoname_id: 2950159,
      },
      logs: { success: true },
    });
  });

  it('hashes the coordinates at the given precision', async () => {
    const result = await checkGeo('[2a00:1450:4001:81c::200e]', { readers, precision: 11 });
    expect(result.data).toMatchObject({ geo_lat: 57.64911, geo_lon: 10.40744, geo_hash: 'u4pruydqqvj' });
    expect(result.data).not.toHaveProperty('geo_tz');
  });

  it('resolves a host name and prefers its IPv4 address', async () => {
    const result = await checkGeo('relay.example.com', { readers, resolver });
    expect(result.data.geo_city).toBe('Berlin');
    expect(result.data.geo_hash).toHaveLength(9);
  });

  it('uses the IPv6 address when there is no IPv4 one, or the IPv4 one is unknown', async () => {
    expect((await checkGeo('v6only.example.com', { readers, resolver })).data.geo_city).toBe('Aalborg');
    expect((await checkGeo('fallback.example.com', { readers, resolver })).data.geo_city).toBe('Aalborg');
  });

  it('fails with "not found" for an address outside the database', async () => {
    expect(await checkGeo('nowhere.example.com', { readers, resolver })).toEqual({
      data: {},
      logs: { success: false, reason: 'not found' },
    });
    expect((await checkGeo('2001:db8::1', { readers })).logs).toEqual({ success: false, reason: 'not found' });
  });

  it('fails with the resolver reason', async () => {
    expect((await checkGeo('unknown.example.com', { readers, resolver })).logs).toEqual({
      success: false,
      reason: 'dns',
    });
    expect((await checkGeo('local.example.com', { readers, resolver })).logs).toEqual({
      success: false,
      reason: 'refused',
    });
  });

  it('times out on a resolver that never answers', async () => {
    const hanging: Resolver = () => new Promise(() => undefined);
    const result = await checkGeo('slow.example.com', { readers, resolver: hanging, timeoutMs: 20 });
    expect(result.logs).toEqual({ success: false, reason: 'timeout' });
  });

  it('needs a city database', async () => {
    expect(canCheckGeo(readers)).toBe(true);
    expect(canCheckGeo({})).toBe(false);
    await expect(checkGeo('93.184.216.34', { readers: {} })).rejects.toThrow(/city database/);
  });
});

describe('resolveHost', () => {
  it('keeps IP literals, strips brackets and a trailing dot, splits families', async () => {
    expect(await resolveHost('[2001:DB8::1]')).toEqual({ ok: true, v4: [], v6: ['2001:db8::1'] });
    expect(await resolveHost('10.0.0.1')).toEqual({ ok: true, v4: ['10.0.0.1'], v6: [] });
    expect(await resolveHost('Relay.Example.com.', { resolver })).toEqual({
      ok: true,
      v4: ['93.184.216.34'],
      v6: ['2a00:1450:4001:81c::200e'],
    });
  });

  it('allows local addresses when asked', async () => {
    expect(await resolveHost('local.example.com', { resolver, allowLocal: true })).toEqual({
      ok: true,
      v4: ['192.168.1.10'],
      v6: [],
    });
  });

  it('reports an aborted resolution as a timeout', async () => {
    const hanging: Resolver = () => new Promise(() => undefined);
    const controller = new AbortController();
    const pending = resolveHost('slow.example.com', { resolver: hanging, signal: controller.signal });
    controller.abort();
    expect(await pending).toEqual({ ok: false, reason: 'timeout' });
  });
});

describe('toGeoData', () => {
  it('adds no geohash without both coordinates', () => {
    expect(toGeoData({ country: 'FR', lat: 48.85 }, 9)).toEqual({ geo_country: 'FR', geo_lat: 48.85 });
  });
});
