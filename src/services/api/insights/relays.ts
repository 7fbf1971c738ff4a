/**
 * `GET /relays`: every relay with its latest status (from `relay_metadata_latest`: NIP-11 name, software, version
 * and supported NIPs, country from the geo check or else the NIP-11 `relay_countries`, the newest RTT check) and its event count (`relay_stats`),
 * filtered by network, NIP, software, country, status and a search in URL and name; sorted and paginated.
 */

import type { Sql } from '../../../core/db/sql.js';
import type { PageOpts } from '../../../core/tables/query.js';
import { NETWORKS, type Network } from '../../../models/network.js';
import { type Checked, ok, refuse } from '../../../models/result.js';
import { parseInteger, parsePage, parseSort, parseText, readParams } from './params.js';
import { allOf, cancellable, type Fragment, jsonNumber, jsonText, toNumber } from './sql.js';

/** The fields `/relays` sorts by. */
export const RELAY_SORTS = [
  'url',
  'network',
  'name',
  'software',
  'country',
  'checked_at',
  'rtt_open',
  'discovered_at',
  'event_count',
] as const;

/** A relay's status as seen by its newest RTT check. */
export type RelayStatus = 'online' | 'offline' | 'unchecked';

/** A validated `/relays` request. */
export interface RelayListQuery {
  readonly network?: Network;
  readonly nip?: number;
  readonly software?: string;
  readonly country?: string;
  readonly q?: string;
  readonly status?: RelayStatus;
  readonly sort: { readonly field: (typeof RELAY_SORTS)[number]; readonly desc: boolean };
  readonly limit: number;
  readonly offset: number;
}

/** One relay of the list (latencies in ms; null when never measured). */
export interface RelaySummary {
  readonly url: string;
  readonly network: string;
  readonly discovered_at: number;
  readonly name: string | null;
  readonly software: string | null;
  readonly version: string | null;
  readonly supported_nips: number[];
  readonly country: string | null;
  /** Where `country` comes from: the geo check of the relay's IP, or the NIP-11 `relay_countries` it announces. */
  readonly country_source: 'geo' | 'nip11' | null;
  readonly checked_at: number | null;
  readonly status: RelayStatus;
  readonly reachable: boolean | null;
  readonly rtt_open: number | null;
  readonly rtt_read: number | null;
  readonly rtt_write: number | null;
  readonly event_count: number;
}

const PARAMS = new Set(['network', 'nip', 'software', 'country', 'q', 'status', 'sort', 'limit', 'offset']);
const STATUSES: readonly RelayStatus[] = ['online', 'offline', 'unchecked'];

/** Check a `/relays` request's query string. */
export function parseRelayListQuery(url: string, page: PageOpts): Checked<RelayListQuery> {
  const params = readParams(url, (k) => PARAMS.has(k));
  if (!params.ok) return params;
  const p = params.value;
  const network = p.get('network');
  if (network !== undefined && !NETWORKS.some((n) => n === network))
    return refuse('invalid_network', `network must be one of ${NETWORKS.join(', ')}`);
  const status = p.get('status');
  if (status !== undefined && !STATUSES.some((s) => s === status))
    return refuse('invalid_status', `status must be one of ${STATUSES.join(', ')}`);
  const nip = p.has('nip') ? parseInteger(p.get('nip'), 'nip', { min: 0, max: 99_999, dflt: 0 }) : ok(undefined);
  if (!nip.ok) return nip;
  const country = p.get('country');
  if (country !== undefined && !/^[A-Za-z]{2}$/.test(country))
    return refuse('invalid_country', 'country must be a two-letter ISO 3166 code');
  const software = parseText(p.get('software'), 'software', 200);
  if (!software.ok) return software;
  const q = parseText(p.get('q'), 'q', 200);
  if (!q.ok) return q;
  const sort = parseSort(p.get('sort'), RELAY_SORTS, { field: 'url', desc: false });
  if (!sort.ok) return sort;
  const pg = parsePage(p, page);
  if (!pg.ok) return pg;
  return ok({
    ...(network === undefined ? {} : { network: network as Network }),
    ...(nip.value === undefined ? {} : { nip: nip.value }),
    ...(software.value === undefined ? {} : { software: software.value }),
    ...(country === undefined ? {} : { country: country.toUpperCase() }),
    ...(q.value === undefined ? {} : { q: q.value }),
    ...(status === undefined ? {} : { status: status as RelayStatus }),
    sort: sort.value,
    ...pg.value,
  });
}

/** The relays of one page and how many match in all. */
export async function listRelays(
  sql: Sql,
  q: RelayListQuery,
  opts: { readonly signal?: AbortSignal } = {},
): Promise<{ data: RelaySummary[]; total: number }> {
  const from = sql`FROM relay r
    LEFT JOIN relay_metadata_latest n ON n.relay_url = r.url AND n.metadata_type = 'nip11_info'
    LEFT JOIN relay_metadata_latest t ON t.relay_url = r.url AND t.metadata_type = 'nip66_rtt'
    LEFT JOIN relay_metadata_latest g ON g.relay_url = r.url AND g.metadata_type = 'nip66_geo'
    LEFT JOIN relay_stats s ON s.relay_url = r.url
    WHERE ${allOf(sql, conditions(sql, q))}`;
  // the total rides along with the page (one round trip); only a page past the end needs its own count
  const rows = await cancellable(
    sql`SELECT count(*) OVER () AS total, r.url, r.network, r.discovered_at,
        ${jsonText(sql, sql`n.data -> 'data' -> 'name'`)} AS name,
        ${jsonText(sql, sql`n.data -> 'data' -> 'software'`)} AS software,
        ${jsonText(sql, sql`n.data -> 'data' -> 'version'`)} AS version,
        n.data -> 'data' -> 'supported_nips' AS supported_nips,
        ${countryOf(sql)} AS country, ${jsonText(sql, sql`g.data -> 'data' -> 'geo_country'`)} IS NOT NULL AS geo,
        t.generated_at AS checked_at, ${reachable(sql)} AS reachable,
        ${jsonNumber(sql, sql`t.data -> 'data' -> 'rtt_open'`)} AS rtt_open,
        ${jsonNumber(sql, sql`t.data -> 'data' -> 'rtt_read'`)} AS rtt_read,
        ${jsonNumber(sql, sql`t.data -> 'data' -> 'rtt_write'`)} AS rtt_write,
        COALESCE(s.event_count, 0) AS event_count
      ${from}
      ORDER BY ${orderBy(sql, q.sort)}, r.url ASC
      LIMIT ${q.limit}::int OFFSET ${q.offset}::int`,
    opts.signal,
  );
  const first = rows[0];
  if (first) return { data: rows.map(toSummary), total: toNumber(first.total) ?? rows.length };
  if (q.offset === 0 && q.limit > 0) return { data: [], total: 0 };
  const [count] = await cancellable(sql<{ n: number }[]>`SELECT count(*)::int AS n ${from}`, opts.signal);
  return { data: rows.map(toSummary), total: count?.n ?? 0 };
}

/**
 * A relay's country (upper case): the geo check's `geo_country` when there is one, else the first two-letter code
 * of the `relay_countries` its NIP-11 document announces. Needs the joins `g` (nip66_geo) and `n` (nip11_info).
 */
export function countryOf(sql: Sql): Fragment {
  return sql`COALESCE(upper(${jsonText(sql, sql`g.data -> 'data' -> 'geo_country'`)}),
    (SELECT upper(c) FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(n.data -> 'data' -> 'relay_countries') = 'array'
      THEN n.data -> 'data' -> 'relay_countries' ELSE '[]'::jsonb END) c WHERE c ~ '^[A-Za-z]{2}$' LIMIT 1))`;
}

/** True/false from the newest RTT check's `open_success`; NULL when the relay was never checked. */
function reachable(sql: Sql): Fragment {
  return sql`CASE WHEN t.relay_url IS NULL THEN NULL ELSE COALESCE(t.data -> 'logs' -> 'open_success' = 'true'::jsonb, false) END`;
}

function conditions(sql: Sql, q: RelayListQuery): Fragment[] {
  const conds: Fragment[] = [];
  if (q.network !== undefined) conds.push(sql`r.network = ${q.network}::text`);
  if (q.nip !== undefined) conds.push(sql`n.data -> 'data' -> 'supported_nips' @> jsonb_build_array(${q.nip}::int)`);
  if (q.software !== undefined)
    conds.push(sql`strpos(lower(n.data -> 'data' ->> 'software'), lower(${q.software}::text)) > 0`);
  if (q.country !== undefined) conds.push(sql`${countryOf(sql)} = ${q.country}::text`);
  if (q.q !== undefined)
    conds.push(sql`(strpos(lower(r.url), lower(${q.q}::text)) > 0
      OR strpos(lower(n.data -> 'data' ->> 'name'), lower(${q.q}::text)) > 0)`);
  if (q.status === 'unchecked') conds.push(sql`t.relay_url IS NULL`);
  if (q.status === 'online') conds.push(sql`t.data -> 'logs' -> 'open_success' = 'true'::jsonb`);
  if (q.status === 'offline')
    conds.push(
      sql`t.relay_url IS NOT NULL AND COALESCE(t.data -> 'logs' -> 'open_success' = 'true'::jsonb, false) = false`,
    );
  return conds;
}

function sortColumn(sql: Sql, field: RelayListQuery['sort']['field']): Fragment {
  switch (field) {
    case 'url':
      return sql`r.url`;
    case 'network':
      return sql`r.network`;
    case 'name':
      return sql`lower(n.data -> 'data' ->> 'name')`;
    case 'software':
      return sql`lower(n.data -> 'data' ->> 'software')`;
    case 'country':
      return countryOf(sql);
    case 'checked_at':
      return sql`t.generated_at`;
    case 'rtt_open':
      return jsonNumber(sql, sql`t.data -> 'data' -> 'rtt_open'`);
    case 'discovered_at':
      return sql`r.discovered_at`;
    case 'event_count':
      return sql`COALESCE(s.event_count, 0)`;
  }
}

function orderBy(sql: Sql, sort: RelayListQuery['sort']): Fragment {
  const col = sortColumn(sql, sort.field);
  return sort.desc ? sql`${col} DESC NULLS LAST` : sql`${col} ASC NULLS LAST`;
}

/** The integer entries of a stored `supported_nips` (NIP-11 documents are relay-supplied). */
export function integerNips(v: unknown): number[] {
  return Array.isArray(v) ? v.filter((x): x is number => Number.isSafeInteger(x) && x >= 0) : [];
}

function toSummary(r: Record<string, unknown>): RelaySummary {
  const reach = r.reachable === null || r.reachable === undefined ? null : Boolean(r.reachable);
  return {
    url: String(r.url),
    network: String(r.network),
    discovered_at: toNumber(r.discovered_at) ?? 0,
    name: (r.name as string | null) ?? null,
    software: (r.software as string | null) ?? null,
    version: (r.version as string | null) ?? null,
    supported_nips: integerNips(r.supported_nips),
    country: (r.country as string | null) ?? null,
    country_source: r.country === null || r.country === undefined ? null : r.geo ? 'geo' : 'nip11',
    checked_at: toNumber(r.checked_at),
    status: reach === null ? 'unchecked' : reach ? 'online' : 'offline',
    reachable: reach,
    rtt_open: toNumber(r.rtt_open),
    rtt_read: toNumber(r.rtt_read),
    rtt_write: toNumber(r.rtt_write),
    event_count: toNumber(r.event_count) ?? 0,
  };
}
