import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactDir } from '../testing/artifacts.js';
import { writeMmdb } from '../testing/mmdb-writer.js';
import { type TestGeoDatabases, writeTestGeoDatabases } from '../testing/test-geo-databases.js';
import { GeoDatabaseError, type GeoReaders, networkOf, openGeoReaders } from './geoip.js';

let dir: string;
let paths: TestGeoDatabases;
let readers: GeoReaders;

beforeAll(async () => {
  dir = await artifactDir('geoip-');
  paths = await writeTestGeoDatabases(dir);
  readers = await openGeoReaders(paths);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('openGeoReaders', () => {
  it('normalises a full city record', () => {
    expect(readers.city?.('93.184.216.34')).toEqual({
      country: 'DE',
      countryName: 'Germany',
      continent: 'EU',
      continentName: 'Europe',
      isEu: true,
      region: 'Land Berlin',
      city: 'Berlin',
      postal: '10115',
      lat: 52.52,
      lon: 13.405,
      accuracy: 20,
      tz: 'Europe/Berlin',
      geonameId: 2950159,
    });
  });

  it('omits what the record does not have; a country without the EU flag is not in the EU', () => {
    expect(readers.city?.('198.51.100.7')).toEqual({
      country: 'US',
      countryName: 'United States',
      isEu: false,
      lat: 37,
      lon: -97.822,
      accuracy: 1000,
    });
  });

  it('looks up IPv6 addresses', () => {
    expect(readers.city?.('2a00:1450:4001:81c::200e')).toMatchObject({ city: 'Aalborg', country: 'DK' });
    expect(readers.asn?.('2a00:1450:4001:81c::200e')).toEqual({ asn: 15169, org: 'Google', network: '2a00:1450::/32' });
  });

  it('returns the ASN with the matched network', () => {
    expect(readers.asn?.('93.184.216.34')).toEqual({ asn: 15133, org: 'Edgecast', network: '93.184.0.0/16' });
  });

  it('returns undefined outside the database and for non-addresses', () => {
    expect(readers.city?.('8.8.8.8')).toBeUndefined();
    expect(readers.city?.('2001:db8::1')).toBeUndefined();
    expect(readers.asn?.('198.51.100.7')).toBeUndefined();
    expect(readers.city?.('example.com')).toBeUndefined();
    expect(readers.asn?.('')).toBeUndefined();
  });

  it('leaves a reader absent when its path is not configured', async () => {
    expect(await openGeoReaders({})).toEqual({});
    const cityOnly = await openGeoReaders({ cityPath: paths.cityPath });
    expect(cityOnly.city).toBeTypeOf('function');
    expect(cityOnly.asn).toBeUndefined();
  });

  it('throws an error naming a missing file', async () => {
    const missing = join(dir, 'nope.mmdb');
    await expect(openGeoReaders({ asnPath: missing })).rejects.toThrow(GeoDatabaseError);
    await expect(openGeoReaders({ asnPath: missing })).rejects.toThrow(missing);
  });

  it('throws an error naming a corrupt file', async () => {
    const corrupt = join(dir, 'corrupt.mmdb');
    await writeFile(corrupt, Buffer.from('this is not a MaxMind database at all, just some text'));
    const err = await openGeoReaders({ cityPath: corrupt }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GeoDatabaseError);
    expect((err as Error).message).toContain(corrupt);
  });

  it('throws when a file is not the expected kind of database', async () => {
    await expect(openGeoReaders({ cityPath: paths.asnPath })).rejects.toThrow(
      `GeoIP database ${paths.asnPath} has type GeoLite2-ASN`,
    );
    const other = join(dir, 'other.mmdb');
    await writeFile(other, writeMmdb([], { databaseType: 'GeoLite2-Country' }));
    await expect(openGeoReaders({ asnPath: other })).rejects.toThrow(other);
  });
});

describe('networkOf', () => {
  it('masks the address to the prefix', () => {
    expect(networkOf('93.184.216.34', 24)).toBe('93.184.216.0/24');
    expect(networkOf('255.255.255.255', 1)).toBe('128.0.0.0/1');
    expect(networkOf('1.2.3.4', 32)).toBe('1.2.3.4/32');
    expect(networkOf('2606:2800:220:1:248:1893:25c8:1946', 32)).toBe('2606:2800::/32');
    expect(networkOf('2001:db8::1', 128)).toBe('2001:db8::1/128');
  });
});
