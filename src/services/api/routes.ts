/**
 * The generic routes: `{prefix}/schema[/{table}]`, `{prefix}/{table}` and
 * `{prefix}/{table}/{pk...}`, answering only relations of the current catalog.
 */
import type { Context } from 'hono';
import type postgres from 'postgres';
import type { Catalog, TableInfo } from '../../core/tables/catalog.js';
import {
  clip,
  getByPrimaryKey,
  type PageOpts,
  parseTableQuery,
  runTableQuery,
  TableQueryError,
} from '../../core/tables/query.js';
import {
  type ApiHono,
  jsonError,
  pathSegments,
  remainingMs,
  requestSignal,
  sendQueryError,
  strictQuery,
} from './http.js';
import { chargeRows } from './rate-limit.js';

/** What the generic routes need. */
export interface TableRoutesOpts {
  readonly sql: postgres.Sql;
  readonly prefix: string;
  readonly page: PageOpts;
  /** The request timeout in milliseconds (the statement timeout never exceeds what is left of it). */
  readonly timeoutMs: number;
  readonly catalog: () => Catalog;
}

/** The public description of a relation (the schema endpoints). */
export function describeTable(t: TableInfo): Record<string, unknown> {
  return { name: t.name, kind: t.kind, primary_key: t.primaryKey, columns: t.columns };
}

const PAGE_PARAMS = ['limit', 'offset', 'sort'] as const;

/** Register `{prefix}/schema` and `{prefix}/schema/{table}`. */
export function mountSchemaRoutes(app: ApiHono, o: TableRoutesOpts): void {
  app.get(`${o.prefix}/schema`, (c) => {
    const tables = [...o.catalog().tables.values()].map(describeTable);
    return c.json({ data: tables, meta: { total: tables.length } });
  });
  app.get(`${o.prefix}/schema/*`, (c) => {
    const segs = pathSegments(c.req.url, `${o.prefix}/schema`);
    if (!segs.ok) return sendQueryError(c, segs.error);
    const [name = '', ...rest] = segs.value;
    const table = o.catalog().tables.get(name);
    if (!table || rest.length > 0) return unknownTable(c, name);
    return c.json({ data: describeTable(table) });
  });
}

/** Register the table routes; call last, after every more specific route. */
export function mountTableRoutes(app: ApiHono, o: TableRoutesOpts): void {
  app.get(`${o.prefix}/*`, async (c) => {
    const segs = pathSegments(c.req.url, o.prefix);
    if (!segs.ok) return sendQueryError(c, segs.error);
    const [name, ...key] = segs.value;
    if (name === undefined) return jsonError(c, 404, 'not_found', `see ${o.prefix}/schema for the tables served`);
    const table = o.catalog().tables.get(name);
    if (!table) return unknownTable(c, name);
    try {
      return await (key.length > 0 ? getOne(c, o, table, key) : list(c, o, table));
    } catch (err) {
      if (err instanceof TableQueryError) return sendQueryError(c, err.error);
      throw err;
    }
  });
}

async function list(c: Context, o: TableRoutesOpts, table: TableInfo): Promise<Response> {
  const params = strictQuery(c.req.url, PAGE_PARAMS);
  if (!params.ok) return sendQueryError(c, params.error);
  const { named, rest } = params.value;
  const q = parseTableQuery(
    table,
    { limit: named.limit, offset: named.offset, sort: named.sort, filters: rest },
    o.page,
  );
  if (!q.ok) return sendQueryError(c, q.error);
  const page = await runTableQuery(o.sql, table, q.value, {
    signal: requestSignal(c),
    timeoutMs: remainingMs(c, o.timeoutMs),
  });
  c.header('Cache-Control', 'no-cache');
  chargeRows(c, page.data.length);
  return c.json(page);
}

async function getOne(c: Context, o: TableRoutesOpts, table: TableInfo, key: string[]): Promise<Response> {
  const params = strictQuery(c.req.url, []);
  if (!params.ok) return sendQueryError(c, params.error);
  const row = await getByPrimaryKey(o.sql, table, key, {
    signal: requestSignal(c),
    timeoutMs: remainingMs(c, o.timeoutMs),
  });
  if (!row.ok) return sendQueryError(c, row.error);
  c.header('Cache-Control', 'no-cache');
  return c.json({ data: row.value });
}

function unknownTable(c: Context, name: string): Response {
  return jsonError(c, 404, 'unknown_table', `no table "${clip(name)}" is served; see the schema endpoint`);
}
