/**
 * The NIP-66 `geo` check ([NIP-66](https://github.com/nostr-protocol/nips/blob/master/66.md)): resolve the
 * host (IPv4 preferred) and look its address up in the city database. The database readers are injected.
 */
import { isIP } from 'node:net';
import ngeohash from 'ngeohash';
import { withDeadline } from '../../utils/deadline.js';
import type { CityRecord, GeoReaders } from '../../utils/geoip.js';
import { reasonOfError } from '../../utils/net/reasons.js';
import { type Resolver, resolveGuarded } from '../../utils/net/resolve.js';
import { type CheckResult, checkFailed, checkOk } from './types.js';

/** The `nip66_geo` data fields (NIP wire names); a field the database does not know is omitted. */
export interface GeoData {
  geo_country?: string;
  geo_country_name?: string;
  geo_continent?: string;
  geo_continent_name?: string;
  geo_is_eu?: boolean;
  geo_region?: string;
  geo_city?: string;
  geo_postal?: string;
  geo_lat?: number;
  geo_lon?: number;
  /** Accuracy radius, kilometres. */
  geo_accuracy?: number;
  geo_tz?: string;
  /** Geohash of lat/lon at the configured precision. */
  geo_hash?: string;
  geo_geoname_id?: number;
}

/** Options of `resolveHost` and the checks built on it. */
export interface ResolveHostOpts {
  /** Default: the system resolver. */
  readonly resolver?: Resolver;
  /** The `local` network is enabled: a name resolving to a local address is allowed. */
  readonly allowLocal?: boolean;
  /** Deadline of the resolution, milliseconds; default 10,000. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Options of `checkGeo`. */
export interface GeoCheckOpts extends ResolveHostOpts {
  readonly readers: GeoReaders;
  /** Geohash length; default 9 (`geo.geohash_precision`). */
  readonly precision?: number;
}

/** A host's addresses by family (resolver order), or why it could not be resolved. */
export type HostAddresses =
  | { readonly ok: true; readonly v4: readonly string[]; readonly v6: readonly string[] }
  | { readonly ok: false; readonly reason: string };

/** The default geohash length. */
export const DEFAULT_GEOHASH_PRECISION = 9;

/** Whether `checkGeo` can run: a city database is configured (otherwise the monitor skips the check). */
export function canCheckGeo(readers: GeoReaders): boolean {
  return readers.city !== undefined;
}

/** Locate a clearnet host (or IP literal) in the city database; never throws for network trouble. */
export async function checkGeo(host: string, opts: GeoCheckOpts): Promise<CheckResult<GeoData>> {
  const city = opts.readers.city;
  // why: without a database there is nothing to measure; storing a failure would blame the relay.
  if (!city) throw new Error('checkGeo needs a city database (check canCheckGeo first)');
  const addresses = await resolveHost(host, opts);
  if (!addresses.ok) return checkFailed(addresses.reason, {});
  for (const ip of [...addresses.v4, ...addresses.v6]) {
    const record = city(ip);
    if (record) return checkOk(toGeoData(record, opts.precision ?? DEFAULT_GEOHASH_PRECISION));
  }
  return checkFailed('not found', {});
}

/** Map a city record to the wire fields, adding the geohash when both coordinates are known. */
export function toGeoData(r: CityRecord, precision: number): GeoData {
  const data: GeoData = {};
  if (r.country !== undefined) data.geo_country = r.country;
  if (r.countryName !== undefined) data.geo_country_name = r.countryName;
  if (r.continent !== undefined) data.geo_continent = r.continent;
  if (r.continentName !== undefined) data.geo_continent_name = r.continentName;
  if (r.isEu !== undefined) data.geo_is_eu = r.isEu;
  if (r.region !== undefined) data.geo_region = r.region;
  if (r.city !== undefined) data.geo_city = r.city;
  if (r.postal !== undefined) data.geo_postal = r.postal;
  if (r.lat !== undefined) data.geo_lat = r.lat;
  if (r.lon !== undefined) data.geo_lon = r.lon;
  if (r.accuracy !== undefined) data.geo_accuracy = r.accuracy;
  if (r.tz !== undefined) data.geo_tz = r.tz;
  if (r.lat !== undefined && r.lon !== undefined) data.geo_hash = ngeohash.encode(r.lat, r.lon, precision);
  if (r.geonameId !== undefined) data.geo_geoname_id = r.geonameId;
  return data;
}

/**
 * The addresses of a host: an IP literal (brackets allowed) as is, a name through the guarded resolver (a local
 * address is refused unless allowed). Resolution errors become probe reasons (`dns`, `timeout`, `refused`).
 */
export async function resolveHost(host: string, opts: ResolveHostOpts = {}): Promise<HostAddresses> {
  const name = host
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase();
  const family = isIP(name);
  if (family !== 0) return { ok: true, v4: family === 4 ? [name] : [], v6: family === 6 ? [name] : [] };
  using deadline = withDeadline(opts.timeoutMs ?? 10_000, opts.signal);
  const signal = deadline.signal;
  try {
    const resolved = await abortable(
      resolveGuarded(name, {
        signal,
        ...(opts.resolver && { resolver: opts.resolver }),
        ...(opts.allowLocal !== undefined && { allowLocal: opts.allowLocal }),
      }),
      signal,
    );
    const pick = (f: 4 | 6): string[] => [...new Set(resolved.filter((a) => a.family === f).map((a) => a.address))];
    return { ok: true, v4: pick(4), v6: pick(6) };
  } catch (err) {
    return { ok: false, reason: signal.aborted ? 'timeout' : reasonOfError(err) };
  }
}

/** Settle with the signal's reason on abort, for resolvers (getaddrinfo) that ignore their signal. */
async function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  let onAbort = (): void => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
    // why: after an abort the late answer (or error) of the lookup no longer matters
    void work.catch(() => undefined);
  }
}
