/**
 * `GET /relays/{url}`: one relay's latest documents of every metadata type (read from `relay_metadata`, so fresher
 * than the materialized views), uptime and p50/p95 latency over 24 h / 7 d / 30 d (core relay-health), a daily
 * series over 30 days for charts, its event statistics, the synchronizer's progress on it (cursor, incomplete
 * reason, kinds withheld), and a page of its RTT check history (newest first, keyset on the check time).
 */
import { type HealthWindow, type RelayHealth, relayHealth, WINDOW_SECONDS } from '../../../core/db/relay-health.js';
import type { Sql } from '../../../core/db/sql.js';
import { METADATA_TYPES } from '../../../models/metadata.js';
import { parseRelayUrl } from '../../../models/relay-url.js';
import { type Checked, ok, refuse } from '../../../models/result.js';
import { parseInteger, readParams } from './params.js';
import { type SyncProblem, syncStatus } from './pipeline.js';
import { cancellable, toNumber } from './sql.js';

/** A validated `/relays/{url}` request: URLs to look up (as given, then canonical) and the history page. */
export interface RelayDetailQuery {
  readonly urls: readonly string[];
  readonly limit: number;
  readonly before?: number;
}

/** One stored document: when it was generated, its data and its logs. */
export interface StoredDocument {
  readonly generated_at: number;
  readonly data: unknown;
  readonly logs: unknown;
}

/** One RTT check of the history (ms; null when not measured). */
export interface CheckRow {
  readonly generated_at: number;
  readonly open_success: boolean;
  readonly read_success: boolean;
  readonly write_success: boolean;
  readonly rtt_open: number | null;
  readonly rtt_read: number | null;
  readonly rtt_write: number | null;
  readonly reason: string | null;
}

/** One UTC day of checks. */
export interface DailyHealth {
  readonly day: string;
  readonly checks: number;
  readonly uptime: number;
  readonly rtt_open_p50: number | null;
}

/** Everything `/relays/{url}` answers. */
export interface RelayDetail {
  readonly url: string;
  readonly network: string;
  readonly discovered_at: number;
  readonly documents: Readonly<Record<string, StoredDocument>>;
  readonly health: Readonly<Record<HealthWindow, HealthFigures>>;
  readonly daily: readonly DailyHealth[];
  readonly stats: Readonly<Record<string, number | null>> | null;
  readonly sync: RelaySync;
  readonly checks: readonly CheckRow[];
  readonly next_before: number | null;
}

/** The synchronizer's view of the relay: archived up to `cursor`; `status` from its last pass (null: none yet). */
export interface RelaySync {
  readonly cursor: number | null;
  readonly status: Omit<SyncProblem, 'url'> | null;
}

/** Health figures of one window, snake_case for the wire. */
export interface HealthFigures {
  readonly checks: number;
  readonly uptime: number | null;
  readonly rtt_open_p50: number | null;
  readonly rtt_open_p95: number | null;
  readonly rtt_read_p50: number | null;
  readonly rtt_read_p95: number | null;
  readonly rtt_write_p50: number | null;
  readonly rtt_write_p95: number | null;
}

const PARAMS = new Set(['limit', 'before']);
const WINDOWS = Object.keys(WINDOW_SECONDS) as HealthWindow[];

/** Check the relay URL of the path and the history parameters (`limit` clamped to `maxPageSize`, `before`). */
export function parseRelayDetailQuery(
  rawUrl: string,
  requestUrl: string,
  page: { readonly defaultPageSize: number; readonly maxPageSize: number },
): Checked<RelayDetailQuery> {
  if (rawUrl.includes('\0') || rawUrl.length > 2048) return refuse('invalid_url', 'not a relay URL');
  const parsed = parseRelayUrl(rawUrl, { allowLocal: true });
  if (!parsed.ok) return refuse('invalid_url', `not a relay URL: ${parsed.reason}`);
  const params = readParams(requestUrl, (k) => PARAMS.has(k));
  if (!params.ok) return params;
  const limit = parseInteger(params.value.get('limit'), 'limit', {
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    dflt: Math.min(100, page.defaultPageSize),
  });
  if (!limit.ok) return limit;
  const before = params.value.has('before')
    ? parseInteger(params.value.get('before'), 'before', { min: 0, max: Number.MAX_SAFE_INTEGER, dflt: 0 })
    : ok(undefined);
  if (!before.ok) return before;
  const urls = rawUrl === parsed.value.url ? [rawUrl] : [rawUrl, parsed.value.url];
  return ok({
    urls,
    limit: Math.min(limit.value, page.maxPageSize),
    ...(before.value === undefined ? {} : { before: before.value }),
  });
}

/** The detail of a relay, or undefined when no relay has that URL. */
export async function relayDetail(
  sql: Sql,
  q: RelayDetailQuery,
  opts: { readonly now: number; readonly signal?: AbortSignal },
): Promise<RelayDetail | undefined> {
  const [relay] = await cancellable(
    sql`SELECT r.url, r.network, r.discovered_at, s.event_count, s.unique_pubkeys, s.unique_kinds,
        s.first_event_timestamp, s.last_event_timestamp, s.avg_rtt_open, s.avg_rtt_read, s.avg_rtt_write,
        s.relay_url IS NOT NULL AS has_stats
      FROM relay r LEFT JOIN relay_stats s ON s.relay_url = r.url
      WHERE r.url = ANY(${q.urls as string[]}::text[])
      ORDER BY r.url = ${q.urls[0] ?? ''}::text DESC LIMIT 1`,
    opts.signal,
  );
  if (!relay) return undefined;
  const url = String(relay.url);
  const [documents, sync, health, daily, checks] = await Promise.all([
    latestDocuments(sql, url, opts.signal),
    relaySync(sql, url, opts.signal),
    Promise.all(WINDOWS.map((window) => relayHealth(sql, { window, now: opts.now, url }))),
    dailyHealth(sql, url, opts),
    checkHistory(sql, url, q, opts.signal),
  ]);
  const more = checks.length > q.limit;
  const page = more ? checks.slice(0, q.limit) : checks;
  return {
    url,
    network: String(relay.network),
    discovered_at: toNumber(relay.discovered_at) ?? 0,
    documents,
    health: Object.fromEntries(WINDOWS.map((w, i) => [w, figures(health[i]?.[0])])) as Record<
      HealthWindow,
      HealthFigures
    >,
    daily,
    stats: relay.has_stats
      ? Object.fromEntries(
          [
            'event_count',
            'unique_pubkeys',
            'unique_kinds',
            'first_event_timestamp',
            'last_event_timestamp',
            'avg_rtt_open',
            'avg_rtt_read',
            'avg_rtt_write',
          ].map((k) => [k, toNumber(relay[k])]),
        )
      : null,
    sync,
    checks: page,
    next_before: more ? (page.at(-1)?.generated_at ?? null) : null,
  };
}

/** The newest document of every metadata type (one index probe per type). */
async function latestDocuments(sql: Sql, url: string, signal?: AbortSignal): Promise<Record<string, StoredDocument>> {
  const rows = await cancellable(
    sql`SELECT t.type, x.generated_at, x.data
      FROM unnest(${METADATA_TYPES as string[]}::text[]) AS t(type)
      CROSS JOIN LATERAL (
        SELECT rm.generated_at, m.data FROM relay_metadata rm
        JOIN metadata m ON m.id = rm.metadata_id AND m.type = rm.metadata_type
        WHERE rm.relay_url = ${url}::text AND rm.metadata_type = t.type
        ORDER BY rm.generated_at DESC LIMIT 1) x`,
    signal,
  );
  const out: Record<string, StoredDocument> = {};
  for (const r of rows) {
    const doc = (typeof r.data === 'object' && r.data !== null ? r.data : {}) as Record<string, unknown>;
    out[String(r.type)] = {
      generated_at: toNumber(r.generated_at) ?? 0,
      data: doc.data ?? null,
      logs: doc.logs ?? null,
    };
  }
  return out;
}

/** The synchronizer's cursor and `sync_status` rows of the relay. */
async function relaySync(sql: Sql, url: string, signal?: AbortSignal): Promise<RelaySync> {
  const rows = await cancellable(
    sql`SELECT state_type, state_value FROM service_state
      WHERE service_name = 'synchronizer' AND state_type IN ('cursor', 'sync_status') AND state_key = ${url}::text`,
    signal,
  );
  const value = (type: string): unknown => rows.find((r) => r.state_type === type)?.state_value;
  const cursor = (value('cursor') as { timestamp?: unknown } | undefined)?.timestamp;
  const status = value('sync_status');
  return {
    cursor: typeof cursor === 'number' ? toNumber(cursor) : null,
    status: status === undefined ? null : syncStatus(status),
  };
}

/** Per UTC day over the last 30 days: checks, uptime, and the median open time. */
async function dailyHealth(
  sql: Sql,
  url: string,
  opts: { readonly now: number; readonly signal?: AbortSignal },
): Promise<DailyHealth[]> {
  const since = opts.now - WINDOW_SECONDS['30d'];
  const rows = await cancellable(
    sql`SELECT to_char((to_timestamp(rm.generated_at) AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS day,
        count(*)::int AS checks,
        avg(CASE WHEN m.data -> 'logs' -> 'open_success' = 'true'::jsonb THEN 1 ELSE 0 END)::float8 AS uptime,
        percentile_cont(0.5) WITHIN GROUP (ORDER BY CASE WHEN jsonb_typeof(m.data -> 'data' -> 'rtt_open') = 'number'
          THEN (m.data -> 'data' ->> 'rtt_open')::float8 END) AS p50
      FROM relay_metadata rm
      JOIN metadata m ON m.id = rm.metadata_id AND m.type = rm.metadata_type
      WHERE rm.relay_url = ${url}::text AND rm.metadata_type = 'nip66_rtt'
        AND rm.generated_at > ${since}::bigint AND rm.generated_at <= ${opts.now}::bigint
      GROUP BY 1 ORDER BY 1`,
    opts.signal,
  );
  return rows.map((r) => ({
    day: String(r.day),
    checks: toNumber(r.checks) ?? 0,
    uptime: toNumber(r.uptime) ?? 0,
    rtt_open_p50: toNumber(r.p50),
  }));
}

/** RTT checks newest first, `limit + 1` of them so the caller knows whether there is a next page. */
async function checkHistory(sql: Sql, url: string, q: RelayDetailQuery, signal?: AbortSignal): Promise<CheckRow[]> {
  const rows = await cancellable(
    sql`SELECT rm.generated_at, m.data FROM relay_metadata rm
      JOIN metadata m ON m.id = rm.metadata_id AND m.type = rm.metadata_type
      WHERE rm.relay_url = ${url}::text AND rm.metadata_type = 'nip66_rtt'
        AND rm.generated_at < ${q.before ?? Number.MAX_SAFE_INTEGER}::bigint
      ORDER BY rm.generated_at DESC LIMIT ${q.limit + 1}::int`,
    signal,
  );
  return rows.map((r) => {
    const doc = (r.data ?? {}) as { data?: Record<string, unknown>; logs?: Record<string, unknown> };
    const data = doc.data ?? {};
    const logs = doc.logs ?? {};
    const ms = (v: unknown): number | null => (typeof v === 'number' ? toNumber(v) : null);
    const reason = [logs.open_reason, logs.read_reason, logs.write_reason].find((x) => typeof x === 'string');
    return {
      generated_at: toNumber(r.generated_at) ?? 0,
      open_success: logs.open_success === true,
      read_success: logs.read_success === true,
      write_success: logs.write_success === true,
      rtt_open: ms(data.rtt_open),
      rtt_read: ms(data.rtt_read),
      rtt_write: ms(data.rtt_write),
      reason: typeof reason === 'string' ? reason : null,
    };
  });
}

function figures(h: RelayHealth | undefined): HealthFigures {
  return {
    checks: h?.checks ?? 0,
    uptime: h ? toNumber(h.uptime) : null,
    rtt_open_p50: toNumber(h?.openP50),
    rtt_open_p95: toNumber(h?.openP95),
    rtt_read_p50: toNumber(h?.readP50),
    rtt_read_p95: toNumber(h?.readP95),
    rtt_write_p50: toNumber(h?.writeP50),
    rtt_write_p95: toNumber(h?.writeP95),
  };
}
