/**
 * What some service factories read from the deployment folder besides their config: the seeder's seed file,
 * the synchronizer's priority relay list and the monitor's GeoIP databases.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Logger } from '../core/logger.js';
import type { MonitorConfig } from '../services/monitor/config.js';
import { type GeoReaders, openGeoReaders } from '../utils/geoip.js';
import { openDefaultCityReader } from '../utils/geoip-default.js';
import { refreshGeoDatabase } from '../utils/geoip-download.js';

/** A file's text, or undefined when it does not exist (any other read error is thrown). */
export async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** The relay URLs of a priority list file (one a line, `#` comments); a missing file is logged and empty. */
export async function readPriorityRelays(dir: string, file: string | null, logger: Logger): Promise<string[]> {
  const listed = file ? await readOptional(resolve(dir, file)) : undefined;
  if (file && listed === undefined) logger.warn('priority_relays_file_missing', { path: file });
  return (listed ?? '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/**
 * The monitor's GeoIP databases (paths relative to the deployment folder `dir`): refreshed from their download
 * URL when missing or older than `max_age_days`; a missing city database falls back to the GeoLite2 City data
 * shipped on npm (best-effort, fewer fields); a missing ASN database leaves the net check not computed. A file
 * that is there but unreadable is a start-up error (GeoDatabaseError names it).
 */
export async function openGeoDatabases(dir: string, geo: MonitorConfig['geo'], log: Logger): Promise<GeoReaders> {
  const locate = async (path: string | null, url: string | null): Promise<string | undefined> => {
    if (!path) return undefined;
    const full = resolve(dir, path);
    if (url) {
      const r = await refreshGeoDatabase({ url, path: full, maxAgeDays: geo.max_age_days });
      if (r.outcome !== 'fresh') log.info('geo_database_refresh', { path: full, outcome: r.outcome, detail: r.detail });
    }
    if (existsSync(full)) return full;
    log.warn('geo_database_missing', { path: full });
    return undefined;
  };
  const cityPath = await locate(geo.city_database_path, geo.city_download_url);
  const asnPath = await locate(geo.asn_database_path, geo.asn_download_url);
  const readers = await openGeoReaders({ ...(cityPath ? { cityPath } : {}), ...(asnPath ? { asnPath } : {}) });
  if (readers.city) return readers;
  const city = await openDefaultCityReader();
  log.info('geo_database_default', { city: city ? 'GeoLite2 City from npm (best-effort)' : 'none: geo not computed' });
  return city ? { ...readers, city } : readers;
}
