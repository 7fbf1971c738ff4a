/**
 * GeoIP lookups behind plain functions: MaxMind GeoLite2-City / GeoLite2-ASN (format-compatible) databases opened
 * from files, their records normalised to flat types. Readers arrive as deps; nothing here is a singleton.
 */
import { isIP } from 'node:net';
import maxmind, { type AsnResponse, type CityResponse, type Reader } from 'maxmind';
import { formatIPv6, parseIPv4, parseIPv6 } from '../models/ip.js';

/** The city database's answer for one address, English names; absent fields are omitted. */
export interface CityRecord {
  /** ISO 3166-1 alpha-2 country code. */
  readonly country?: string;
  readonly countryName?: string;
  /** Two-letter continent code (`EU`, `NA`, …). */
  readonly continent?: string;
  readonly continentName?: string;
  /** Whether the country is in the EU (false when a country is known without the flag). */
  readonly isEu?: boolean;
  /** Name of the first (largest) subdivision. */
  readonly region?: string;
  readonly city?: string;
  readonly postal?: string;
  readonly lat?: number;
  readonly lon?: number;
  /** Accuracy radius, kilometres. */
  readonly accuracy?: number;
  /** IANA time zone. */
  readonly tz?: string;
  /** GeoNames id of the city. */
  readonly geonameId?: number;
}

/** The ASN database's answer for one address. */
export interface AsnRecord {
  readonly asn?: number;
  readonly org?: string;
  /** The matched network as CIDR (`93.184.216.0/24`, `2606:2800::/32`). */
  readonly network: string;
}

/** Address lookups; an absent reader means that database is not configured. */
export interface GeoReaders {
  readonly city?: (ip: string) => CityRecord | undefined;
  readonly asn?: (ip: string) => AsnRecord | undefined;
}

/** Paths of the database files; an absent path leaves that reader absent. */
export interface GeoReaderPaths {
  readonly cityPath?: string;
  readonly asnPath?: string;
}

/** A GeoIP database file that cannot be read or is not the expected kind (the message names the path). */
export class GeoDatabaseError extends Error {
  override name = 'GeoDatabaseError';
}

/** Open the configured databases; throws `GeoDatabaseError` for a missing, unreadable or corrupt file. */
export async function openGeoReaders(paths: GeoReaderPaths): Promise<GeoReaders> {
  const [city, asn] = await Promise.all([
    paths.cityPath === undefined ? undefined : openDatabase<CityResponse>(paths.cityPath, /city/i),
    paths.asnPath === undefined ? undefined : openDatabase<AsnResponse>(paths.asnPath, /asn|isp/i),
  ]);
  return {
    ...(city && { city: (ip: string) => lookupCity(city, ip) }),
    ...(asn && { asn: (ip: string) => lookupAsn(asn, ip) }),
  };
}

/** Open one database and check its `database_type` (a City file configured as ASN is a configuration error). */
async function openDatabase<T extends CityResponse | AsnResponse>(path: string, kind: RegExp): Promise<Reader<T>> {
  let reader: Reader<T>;
  try {
    reader = await maxmind.open<T>(path);
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new GeoDatabaseError(`cannot open GeoIP database ${path}: ${detail}`, { cause });
  }
  const type = reader.metadata.databaseType;
  if (typeof type !== 'string' || !kind.test(type)) {
    throw new GeoDatabaseError(`GeoIP database ${path} has type ${String(type)}, expected ${kind.source}`);
  }
  return reader;
}

/** Look an address up in a City database; undefined when it is not an IP or not in the database. */
export function lookupCity(reader: Reader<CityResponse>, ip: string): CityRecord | undefined {
  if (isIP(ip) === 0) return undefined;
  const r = reader.get(ip);
  return r ? normaliseCity(r) : undefined;
}

/** Look an address up in an ASN database, with the CIDR of the matched network. */
export function lookupAsn(reader: Reader<AsnResponse>, ip: string): AsnRecord | undefined {
  if (isIP(ip) === 0) return undefined;
  const [r, prefix] = reader.getWithPrefixLength(ip);
  if (!r) return undefined;
  const out: { asn?: number; org?: string; network: string } = { network: networkOf(ip, prefix) };
  if (isInt(r.autonomous_system_number)) out.asn = r.autonomous_system_number;
  if (isText(r.autonomous_system_organization)) out.org = r.autonomous_system_organization;
  return out;
}

/** Flatten a City response; fields of the wrong type (a damaged file) are dropped rather than trusted. */
export function normaliseCity(r: CityResponse): CityRecord {
  const out: { -readonly [K in keyof CityRecord]: CityRecord[K] } = {};
  const set = <K extends keyof CityRecord>(key: K, value: CityRecord[K] | undefined, ok: boolean): void => {
    if (ok && value !== undefined) out[key] = value;
  };
  set('country', r.country?.iso_code, isText(r.country?.iso_code));
  set('countryName', r.country?.names?.en, isText(r.country?.names?.en));
  set('continent', r.continent?.code, isText(r.continent?.code));
  set('continentName', r.continent?.names?.en, isText(r.continent?.names?.en));
  if (r.country) out.isEu = r.country.is_in_european_union === true;
  const region = r.subdivisions?.[0]?.names?.en;
  set('region', region, isText(region));
  set('city', r.city?.names?.en, isText(r.city?.names?.en));
  set('postal', r.postal?.code, isText(r.postal?.code));
  set('lat', r.location?.latitude, isFiniteNumber(r.location?.latitude));
  set('lon', r.location?.longitude, isFiniteNumber(r.location?.longitude));
  set('accuracy', r.location?.accuracy_radius, isInt(r.location?.accuracy_radius));
  set('tz', r.location?.time_zone, isText(r.location?.time_zone));
  set('geonameId', r.city?.geoname_id, isInt(r.city?.geoname_id));
  return out;
}

/** The CIDR of the network `prefix` bits long that contains `ip`. */
export function networkOf(ip: string, prefix: number): string {
  const v4 = parseIPv4(ip);
  if (v4 !== undefined) {
    const size = 2 ** (32 - prefix);
    const base = Math.floor(v4 / size) * size;
    return `${[24, 16, 8, 0].map((s) => Math.floor(base / 2 ** s) % 256).join('.')}/${prefix}`;
  }
  const v6 = parseIPv6(ip) ?? 0n;
  const shift = BigInt(128 - prefix);
  return `${formatIPv6((v6 >> shift) << shift)}/${prefix}`;
}

function isText(v: unknown): v is string {
  return typeof v === 'string' && v !== '';
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}
