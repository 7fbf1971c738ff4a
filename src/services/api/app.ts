/**
 * The API's Hono app. Middleware, outermost first: metrics, CORS, rate limit, request deadline,
 * catalog (first load), compression, ETag. Routes in match order: /health, /docs, {prefix}/openapi.json,
 * {prefix}/schema…, then whatever `extra.mount` adds (insights, dashboard), then the generic
 * {prefix}/{table}[/{pk...}] routes — so mounted paths always win, and their names are reserved.
 */
import { Hono } from 'hono';
import { compress } from 'hono/compress';
import { cors } from 'hono/cors';
import { etag, RETAINED_304_HEADERS } from 'hono/etag';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isConnectError } from '../../core/db/errors.js';
import type { ServiceDeps } from '../../core/service-deps.js';
import type { Catalog } from '../../core/tables/catalog.js';
import { toQueryError } from '../../core/tables/query.js';
import { type CatalogSource, createCatalogSource } from './catalog-source.js';
import type { ApiConfig } from './config.js';
import { mountDocs } from './docs.js';
import { type ApiEnv, type ApiHono, deadline, jsonError, sendQueryError } from './http.js';
import { buildOpenApi } from './openapi.js';
import { DEFAULT_RATE_LIMIT, type RateLimitOpts, rateLimit } from './rate-limit.js';
import { mountSchemaRoutes, mountTableRoutes } from './routes.js';

/** The API's collaborators. `rateLimit` defaults to 20 cost units/s with bursts of 100 per client (rate-limit.ts); false disables it. */
export interface ApiDeps extends ServiceDeps {
  readonly rateLimit?: RateLimitOpts | false;
}

/** What the composition root adds to the app. */
export interface ApiAppExtra {
  /** Mount more routes (insights, dashboard); they are matched before the generic table routes. */
  readonly mount?: (app: ApiHono, ctx: { readonly catalog: () => Catalog }) => void;
  /** The catalog to serve (createApi passes the one its cycle reloads); default: loaded on first request. */
  readonly catalog?: CatalogSource;
  /** Path items of mounted routes, merged into the OpenAPI document. */
  readonly openapiPaths?: Record<string, unknown>;
  /** The version in the OpenAPI document. */
  readonly version?: string;
}

const CORS_304_HEADERS = ['access-control-allow-origin', 'access-control-expose-headers', 'vary'];

/** Build the app. */
export function createApiApp(deps: ApiDeps, config: ApiConfig, extra: ApiAppExtra = {}): ApiHono {
  const app = new Hono<ApiEnv>();
  const source = extra.catalog ?? createCatalogSource(deps, config.tables);
  const prefix = config.route_prefix;
  const timeoutMs = config.request_timeout * 1000;
  const page = { defaultPageSize: config.default_page_size, maxPageSize: config.max_page_size };

  app.use('*', countRequests(deps));
  if (config.cors_origins.length > 0) {
    const origin = config.cors_origins.includes('*') ? '*' : config.cors_origins;
    app.use('*', cors({ origin, allowMethods: ['GET', 'HEAD', 'OPTIONS'], exposeHeaders: ['ETag', 'Retry-After'] }));
  }
  const limit = deps.rateLimit === undefined ? DEFAULT_RATE_LIMIT : deps.rateLimit;
  if (limit !== false) {
    const limiter = rateLimit({ maxPageSize: config.max_page_size, ...limit });
    app.use('*', (c, next) => (c.req.path === '/health' ? next() : limiter(c, next)));
  }
  app.use('*', deadline(timeoutMs));
  app.use('*', async (c, next) => {
    // why: /health reports the database itself and must answer while the catalog cannot be loaded
    if (!source.loaded && c.req.path !== '/health') await source.reload();
    await next();
  });
  app.use('*', compress());
  app.use('*', etag({ weak: true, retainedHeaders: [...RETAINED_304_HEADERS, ...CORS_304_HEADERS] }));

  app.get('/health', async (c) => {
    const up = await databaseUp(deps, 2000);
    return c.json({ status: up ? 'ok' : 'unavailable', database: up ? 'ok' : 'unreachable' }, up ? 200 : 503);
  });
  mountDocs(app, { title: config.title, openapiUrl: `${prefix}/openapi.json` });
  app.get(`${prefix}/openapi.json`, (c) =>
    c.json(
      buildOpenApi(source.current(), {
        ...page,
        title: config.title,
        version: extra.version ?? '1.0.0',
        prefix,
        ...(extra.openapiPaths === undefined ? {} : { extraPaths: extra.openapiPaths }),
      }),
    ),
  );
  const routeOpts = { sql: deps.sql, prefix, page, timeoutMs, catalog: () => source.current() };
  mountSchemaRoutes(app, routeOpts);
  extra.mount?.(app, { catalog: () => source.current() });
  app.get('/', (c) =>
    c.json({ title: config.title, docs: '/docs', openapi: `${prefix}/openapi.json`, schema: `${prefix}/schema` }),
  );
  mountTableRoutes(app, routeOpts);

  app.notFound((c) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      c.header('Allow', 'GET, HEAD');
      return jsonError(c, 405, 'method_not_allowed', 'the API is read-only: use GET');
    }
    return jsonError(c, 404, 'not_found', 'no such route');
  });
  app.onError((err, c) => {
    if (err instanceof HTTPException) {
      return jsonError(c, err.status as ContentfulStatusCode, 'http_error', err.message || 'request refused');
    }
    const mapped = toQueryError(err);
    if (mapped) return sendQueryError(c, mapped);
    if (isConnectError(err)) {
      deps.logger.warn('database_unavailable', { path: c.req.path, code: (err as { code?: string }).code });
      return jsonError(c, 503, 'unavailable', 'the database is not reachable; retry later');
    }
    deps.logger.error('request_failed', {
      path: c.req.path,
      error: err instanceof Error ? err.name : 'Error',
      detail: err instanceof Error ? err.message : String(err),
    });
    return jsonError(c, 500, 'internal_error', 'internal error');
  });
  return app;
}

/**
 * Count every response in `requests_total`; `requests_failed` counts the ones the API failed to answer
 * (status ≥ 500: errors, timeouts, database down), `requests_rejected` the client errors (4xx, including
 * `requests_rate_limited` for 429).
 */
function countRequests(deps: ApiDeps) {
  return async (c: { res: Response }, next: () => Promise<void>): Promise<void> => {
    await next();
    const status = c.res.status;
    deps.metrics.inc('requests_total');
    if (status >= 500) deps.metrics.inc('requests_failed');
    else if (status >= 400) deps.metrics.inc('requests_rejected');
    if (status === 429) deps.metrics.inc('requests_rate_limited');
  };
}

/** Whether the database answers `SELECT 1` within `ms`. */
async function databaseUp(deps: ApiDeps, ms: number): Promise<boolean> {
  const q = deps.sql`SELECT 1`;
  const timer = setTimeout(() => q.cancel(), ms);
  try {
    await q;
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
