/**
 * The purpose-built endpoints of the API, mounted under the route prefix:
 * `GET /relays`, `GET /relays/{url}`, `GET /stats`, `GET /pipeline`, `GET /events`. Every parameter is validated first: bad input
 * is a 400 `{"error": {code, message}}`; a query the request's deadline cancels is a 504, an unreachable
 * database a 503, and only a bug a 500. Relay and statistics answers are cached for `cacheSeconds` (their
 * sources change when the statistics views are refreshed or a relay is checked again); events are never cached.
 */
import { type Context, Hono } from 'hono';
import type postgres from 'postgres';
import { errorCode, isConnectError } from '../../../core/db/errors.js';
import type { Logger } from '../../../core/logger.js';
import { enabledTables, type TablesConfig } from '../../../core/tables/catalog.js';
import type { PageOpts } from '../../../core/tables/query.js';
import type { Refusal } from '../../../models/result.js';
import type { ApiEnv } from '../http.js';
import { chargeRows } from '../rate-limit.js';
import { type CachedBody, createResponseCache } from './cache.js';
import { findEventsJson, parseEventQuery } from './events.js';
import { parsePipelineQuery, pipeline } from './pipeline.js';
import { parseRelayDetailQuery, relayDetail } from './relay-detail.js';
import { listRelays, parseRelayListQuery } from './relays.js';
import { networkStats, parseStatsQuery } from './stats.js';

/** What the insight routes need: a (read-only) database client, a logger and optionally a clock (seconds). */
export interface InsightDeps {
  readonly sql: postgres.Sql;
  readonly logger: Logger;
  readonly now?: () => number;
}

/**
 * Page size policy (api.yaml `max_page_size` / `default_page_size`), the cache lifetime (default 5 s; 0: off)
 * and the API's table allow-list (api.yaml `tables`): an endpoint is served only when every relation it reads
 * is enabled there, as for the generic table routes.
 */
export interface InsightOpts extends PageOpts {
  readonly cacheSeconds?: number;
  readonly tables: TablesConfig;
}

/** The relations each endpoint reads. */
export const INSIGHT_TABLES: Readonly<Record<string, readonly string[]>> = {
  '/relays': ['relay', 'relay_metadata_latest', 'relay_stats'],
  '/relays/:url{.+}': ['relay', 'relay_metadata', 'metadata', 'relay_stats', 'service_state'],
  '/stats': [
    'relay',
    'relay_metadata_latest',
    'network_stats',
    'event_stats',
    'event_daily_counts',
    'relay_software_counts',
    'supported_nip_counts',
  ],
  '/events': ['event', 'event_relay'],
  '/pipeline': ['relay', 'relay_metadata_latest', 'service_state'],
};

/** An allow-list enabling every relation the endpoints read (tests, and what api.yaml needs for all four). */
export function everyInsightTable(): TablesConfig {
  const names = [...new Set(Object.values(INSIGHT_TABLES).flat())];
  return Object.fromEntries(names.map((name) => [name, { enabled: true, price: 0 }]));
}

/** Build the insight routes; mount them under the API prefix (`app.route('/v1', insightRoutes(...))`). */
export function insightRoutes(deps: InsightDeps, opts: InsightOpts): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  const now = (): number => (deps.now ? deps.now() : Math.floor(Date.now() / 1000));
  const page: PageOpts = { defaultPageSize: opts.defaultPageSize, maxPageSize: opts.maxPageSize };
  const ttl = opts.cacheSeconds ?? 5;
  const cache = createResponseCache({ ttlMs: ttl * 1000 });
  const enabled = new Set(enabledTables(opts.tables));
  for (const [path, tables] of Object.entries(INSIGHT_TABLES)) {
    const off = tables.filter((t) => !enabled.has(t));
    if (off.length === 0) continue;
    const message = `not served: enable ${off.join(', ')} in the API's tables`;
    app.get(path, (c) => c.json({ error: { code: 'not_found', message } }, 404));
  }
  // why no request signal when caching: the computation is shared by every request waiting for the same URL
  const cached = async (c: Context, compute: (signal?: AbortSignal) => Promise<CachedBody>): Promise<Response> => {
    const url = new URL(c.req.url);
    const answer = await cache.get(`${url.pathname}${url.search}`, () =>
      compute(ttl > 0 ? undefined : requestSignal(c)),
    );
    if (ttl > 0) c.header('Cache-Control', `public, max-age=${ttl}`);
    c.header('Content-Type', 'application/json');
    return c.body(answer.body, answer.status);
  };

  app.get('/relays', async (c) => {
    const q = parseRelayListQuery(c.req.url, page);
    if (!q.ok) return badRequest(c, q.error);
    return cached(c, async (signal) => {
      const { data, total } = await listRelays(deps.sql, q.value, signal ? { signal } : {});
      // a cached answer costs one unit; the request that computed it pays for its rows
      chargeRows(c, data.length);
      return ok({ data, meta: { total, limit: q.value.limit, offset: q.value.offset } });
    });
  });

  // `{.+}`: the relay URL is normally percent-encoded (one segment) but `/relays/wss://host/path` works too
  app.get('/relays/:url{.+}', async (c) => {
    const q = parseRelayDetailQuery(c.req.param('url'), c.req.url, page);
    if (!q.ok) return badRequest(c, q.error);
    return cached(c, async (signal) => {
      const detail = await relayDetail(deps.sql, q.value, { now: now(), ...(signal ? { signal } : {}) });
      if (!detail) return { status: 404, body: errorBody('not_found', 'no relay with that URL') };
      const { checks, next_before, ...rest } = detail;
      return ok({ data: { ...rest, checks }, meta: { checks: { limit: q.value.limit, next_before } } });
    });
  });

  app.get('/stats', async (c) => {
    const q = parseStatsQuery(c.req.url);
    if (!q.ok) return badRequest(c, q.error);
    return cached(c, async (signal) => {
      const data = await networkStats(deps.sql, q.value, { now: now(), ...(signal ? { signal } : {}) });
      return ok({ data, meta: { days: q.value.days, generated_at: now() } });
    });
  });

  app.get('/pipeline', async (c) => {
    const q = parsePipelineQuery(c.req.url);
    if (!q.ok) return badRequest(c, q.error);
    return cached(c, async (signal) => {
      const data = await pipeline(deps.sql, { now: now(), ...(signal ? { signal } : {}) });
      return ok({ data, meta: { generated_at: now() } });
    });
  });

  app.get('/events', async (c) => {
    const q = parseEventQuery(c.req.url, page);
    if (!q.ok) return badRequest(c, q.error);
    const { items, next } = await findEventsJson(deps.sql, q.value, { signal: requestSignal(c) });
    chargeRows(c, items.length);
    const meta = JSON.stringify({ limit: q.value.limit, count: items.length, next });
    c.header('Content-Type', 'application/json');
    return c.body(`{"data":[${items.join(',')}],"meta":${meta}}`);
  });

  app.onError((err, c) => {
    const code = errorCode(err);
    if (code === '57014' || (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')))
      return c.json({ error: { code: 'timeout', message: 'the query did not finish in time' } }, 504);
    if (isConnectError(err)) {
      deps.logger.warn('database_unavailable', { path: c.req.path, code });
      return c.json({ error: { code: 'unavailable', message: 'the database is not reachable; retry later' } }, 503);
    }
    deps.logger.error('insight_failed', {
      path: c.req.path,
      error: err instanceof Error ? err.name : 'Error',
      detail: err instanceof Error ? err.message : String(err),
      ...(code === undefined ? {} : { code }),
    });
    return c.json({ error: { code: 'internal_error', message: 'internal error' } }, 500);
  });
  return app;
}

const ok = (value: unknown): CachedBody => ({ status: 200, body: JSON.stringify(value) });
const errorBody = (code: string, message: string): string => JSON.stringify({ error: { code, message } });

function badRequest(c: Context, e: Refusal): Response {
  return c.json({ error: { code: e.code, message: e.message } }, 400);
}

/** The request's cancellation signal: the API's deadline signal when its middleware set one, else the socket's. */
function requestSignal(c: Context): AbortSignal {
  const s = (c.var as Record<string, unknown>).signal;
  return s instanceof AbortSignal ? s : c.req.raw.signal;
}
