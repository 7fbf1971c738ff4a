/**
 * The table query engine, shared by the REST API and the DVM. `parseTableQuery` checks every
 * parameter against the catalog and converts every value by its column type before anything reaches the
 * database; `runTableQuery` / `getByPrimaryKey` run the parsed query in a read-only transaction with a
 * statement timeout. Identifiers come only from the catalog and are quoted by postgres.js; values are bound
 * parameters; operators and directions are chosen from fixed SQL fragments, never interpolated.
 */
import type postgres from 'postgres';
import type { TableInfo } from './catalog.js';
import { classifyType, type FilterValue, isSortable, isTextLike, parseValue } from './values.js';

export {
  DEFAULT_COUNT_LIMIT,
  getByPrimaryKey,
  type RunOpts,
  runTableQuery,
  type TablePage,
  TableQueryError,
  toQueryError,
} from './run.js';

import type { Checked } from '../../models/result.js';
import type { Sql } from '../db/sql.js';

/** A filter operator. `=` on a text-array column means "contains the element". */
export type FilterOp = '=' | '>' | '<' | '>=' | '<=' | 'ILIKE';

/** The operators, longest first (the order `col=<op>:value` is matched in). */
export const FILTER_OPS: readonly FilterOp[] = ['>=', '<=', '=', '>', '<', 'ILIKE'];

/** An error for the client: HTTP status, a stable machine code, a human message. */
export interface QueryError {
  readonly status: 400 | 404 | 504;
  readonly code: string;
  readonly message: string;
}

/** The outcome of parsing: the value, or the error with the status callers answer with. */
export type QueryResult<T> = Checked<T, QueryError>;

/** One checked filter; `value` is bound as a parameter. */
export interface Filter {
  readonly column: string;
  readonly op: FilterOp;
  readonly value: FilterValue;
  /** The column holds a text array and `=` means "contains". */
  readonly contains: boolean;
}

/** A checked query over one relation. */
export interface TableQuery {
  readonly table: string;
  readonly limit: number;
  readonly offset: number;
  readonly sort?: { readonly column: string; readonly direction: 'asc' | 'desc' };
  readonly filters: readonly Filter[];
}

/** The raw parameters of a query, as a client sent them. */
export interface TableQueryParams {
  readonly limit?: string | number | undefined;
  readonly offset?: string | number | undefined;
  readonly sort?: string | undefined;
  /** `[column, raw]` where raw is `value` or `<op>:value`. */
  readonly filters: readonly (readonly [string, string])[];
}

/** Page size policy. */
export interface PageOpts {
  readonly defaultPageSize: number;
  readonly maxPageSize: number;
}

/** The largest offset accepted; deeper pages are refused (use filters or sort instead). */
export const MAX_OFFSET = 10_000_000;

/** Build a failed result. */
export function queryFail(status: QueryError['status'], code: string, message: string): QueryResult<never> {
  return { ok: false, error: { status, code, message } };
}

const ok = <T>(value: T): QueryResult<T> => ({ ok: true, value });

/** Check a client's parameters against a relation of the catalog. */
export function parseTableQuery(table: TableInfo, params: TableQueryParams, opts: PageOpts): QueryResult<TableQuery> {
  const limit = parseCount(params.limit, 'limit', opts.defaultPageSize, Number.MAX_SAFE_INTEGER);
  if (!limit.ok) return limit;
  const offset = parseCount(params.offset, 'offset', 0, MAX_OFFSET);
  if (!offset.ok) return offset;
  const filters: Filter[] = [];
  const seen = new Set<string>();
  for (const [column, raw] of params.filters) {
    if (seen.has(column)) return queryFail(400, 'repeated_parameter', `filter on "${column}" given more than once`);
    seen.add(column);
    const f = parseFilter(table, column, raw);
    if (!f.ok) return f;
    filters.push(f.value);
  }
  const sort = params.sort === undefined ? ok(undefined) : parseSort(table, params.sort);
  if (!sort.ok) return sort;
  return ok({
    table: table.name,
    limit: Math.min(limit.value, opts.maxPageSize),
    offset: offset.value,
    filters,
    ...(sort.value === undefined ? {} : { sort: sort.value }),
  });
}

function parseCount(raw: string | number | undefined, name: string, dflt: number, max: number): QueryResult<number> {
  if (raw === undefined) return ok(dflt);
  const text = String(raw);
  if (!/^\d{1,20}$/.test(text)) return queryFail(400, `invalid_${name}`, `${name} must be a non-negative integer`);
  const n = Number(text);
  if (n > max) return queryFail(400, `invalid_${name}`, `${name} must not exceed ${max}`);
  return ok(n);
}

/** Split a raw filter value into its operator and value: `>=:5` → [>=, 5]; `wss://x` → [=, wss://x]. */
export function splitOperator(raw: string): [FilterOp, string] {
  const colon = raw.indexOf(':');
  if (colon > 0) {
    const head = raw.slice(0, colon);
    const op = FILTER_OPS.find((o) => o === head.toUpperCase());
    if (op) return [op, raw.slice(colon + 1)];
  }
  return ['=', raw];
}

/** Check one `column=raw` filter. */
export function parseFilter(table: TableInfo, column: string, raw: string): QueryResult<Filter> {
  const col = table.columns.find((c) => c.name === column);
  if (!col) return queryFail(400, 'unknown_column', `"${clip(column)}" is not a column of ${table.name}`);
  const [op, text] = splitOperator(raw);
  const cls = classifyType(col.type);
  if (op === 'ILIKE' && !isTextLike(col)) {
    return queryFail(400, 'invalid_operator', `ILIKE applies to text columns only; ${column} is ${col.type}`);
  }
  if (cls === 'text-array' && op !== '=') {
    return queryFail(400, 'invalid_operator', `${column} is ${col.type}: only = (contains) applies`);
  }
  if (cls === 'other' && col.type.endsWith('[]')) {
    return queryFail(400, 'invalid_operator', `${column} is ${col.type}: it cannot be filtered`);
  }
  const value = parseValue(col, text);
  if (!value.ok) return queryFail(400, 'invalid_value', `${column}: ${value.why}`);
  return ok({ column, op, value: value.value, contains: cls === 'text-array' });
}

function parseSort(table: TableInfo, raw: string): QueryResult<NonNullable<TableQuery['sort']>> {
  const [column = '', dir = 'asc', ...rest] = raw.split(':');
  const direction = dir.toLowerCase();
  if (rest.length > 0 || (direction !== 'asc' && direction !== 'desc')) {
    return queryFail(400, 'invalid_sort', 'sort must be column, column:asc or column:desc');
  }
  const col = table.columns.find((c) => c.name === column);
  if (!col) return queryFail(400, 'unknown_column', `"${clip(column)}" is not a column of ${table.name}`);
  if (!isSortable(col)) return queryFail(400, 'invalid_sort', `${column} (${col.type}) cannot be sorted`);
  return ok({ column, direction });
}

/**
 * Parse the DVM's filter string `col=op:val,col2=val` into `[column, raw]` pairs. A comma or backslash inside
 * a value is escaped with a backslash (`\,`, `\\`).
 */
export function parseFilterString(text: string): QueryResult<[string, string][]> {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '\\' && i + 1 < text.length) cur += text[++i];
    else if (ch === ',') {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  const out: [string, string][] = [];
  for (const part of parts) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) return queryFail(400, 'invalid_filter', `"${clip(part)}" is not column=value`);
    out.push([part.slice(0, eq).trim(), part.slice(eq + 1)]);
  }
  return ok(out);
}

/** Shorten a client-supplied string for an error message. */
export function clip(s: string, max = 64): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

type Fragment = postgres.PendingQuery<postgres.Row[]>;

/** The SQL condition of one filter (operators from fixed fragments). */
export function filterSql(sql: Sql, f: Filter): Fragment {
  const col = sql(f.column);
  const v = typeof f.value === 'object' && !Buffer.isBuffer(f.value) ? sql.json(f.value.json) : f.value;
  if (f.contains) return sql`${col} @> ARRAY[${v}]::text[]`;
  switch (f.op) {
    case '=':
      return sql`${col} = ${v}`;
    case '>':
      return sql`${col} > ${v}`;
    case '<':
      return sql`${col} < ${v}`;
    case '>=':
      return sql`${col} >= ${v}`;
    case '<=':
      return sql`${col} <= ${v}`;
    case 'ILIKE':
      return sql`${col} ILIKE ${v}`;
  }
}

/** `WHERE a AND b …`, or nothing. */
export function whereSql(sql: Sql, filters: readonly Filter[]): Fragment {
  let acc: Fragment | undefined;
  for (const f of filters) acc = acc ? sql`${acc} AND ${filterSql(sql, f)}` : sql`WHERE ${filterSql(sql, f)}`;
  return acc ?? sql``;
}
