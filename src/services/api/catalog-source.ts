/**
 * The API's current catalog: loaded once, reloaded by each service cycle (so a view created later appears),
 * with the names the API itself routes (schema, openapi.json, the insights and dashboard paths) held back.
 */
import type postgres from 'postgres';
import type { Logger } from '../../core/logger.js';
import type { ServiceMetrics } from '../../core/metrics.js';
import { type Catalog, loadCatalog, type TablesConfig } from '../../core/tables/catalog.js';

/**
 * Names the generic `{prefix}/{table}` route never serves: the API's own routes and the purpose-built
 * endpoints mounted before it (`/v1/relays`, `/v1/stats`, `/v1/pipeline`, `/v1/events`, the dashboard).
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  'schema',
  'openapi.json',
  'health',
  'docs',
  'relays',
  'stats',
  'events',
  'pipeline',
  'dashboard',
  'assets',
  'static',
]);

/** The catalog of the API: the current value, and a reload. */
export interface CatalogSource {
  current(): Catalog;
  /** Whether a load has completed. */
  readonly loaded: boolean;
  reload(): Promise<Catalog>;
}

/** Build the source; the first `reload()` loads it. */
export function createCatalogSource(
  deps: { readonly sql: postgres.Sql; readonly logger: Logger; readonly metrics: ServiceMetrics },
  tables: TablesConfig,
): CatalogSource {
  let catalog: Catalog = { tables: new Map(), missing: [] };
  let loaded = false;
  let inflight: Promise<Catalog> | undefined;
  let lastWarning = '';
  const load = async (): Promise<Catalog> => {
    const found = await loadCatalog(deps.sql, tables);
    const served = new Map([...found.tables].filter(([name]) => !RESERVED_NAMES.has(name)));
    const reserved = [...found.tables.keys()].filter((n) => RESERVED_NAMES.has(n));
    const warning = JSON.stringify([reserved, found.missing]);
    // why: the cycle reloads every interval; say it once per change, not every time
    if (warning !== lastWarning) {
      if (reserved.length > 0) deps.logger.warn('tables_reserved', { tables: reserved });
      if (found.missing.length > 0) deps.logger.warn('tables_missing', { tables: found.missing });
      lastWarning = warning;
    }
    catalog = { tables: served, missing: found.missing };
    loaded = true;
    deps.metrics.setGauge('tables_exposed', served.size);
    return catalog;
  };
  return {
    current: () => catalog,
    get loaded() {
      return loaded;
    },
    reload() {
      // why: concurrent first requests share one load
      inflight ??= load().finally(() => {
        inflight = undefined;
      });
      return inflight;
    },
  };
}
