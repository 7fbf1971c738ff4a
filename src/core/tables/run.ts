/**
 * Running checked table queries: one read-only transaction per request with `statement_timeout` set locally,
 * so a slow query is cancelled by the server and becomes a `timeout` error (504). An AbortSignal cancels the
 * running statement too.
 */
import type postgres from 'postgres';
import { errorCode } from '../db/errors.js';
import type { Sql } from '../db/sql.js';
import type { TableInfo } from './catalog.js';
import {
  type Filter,
  parseFilter,
  type QueryError,
  type QueryResult,
  queryFail,
  type TableQuery,
  whereSql,
} from './query.js';
import { toJsonRow } from './values.js';

/** How to run a query. */
export interface RunOpts {
  readonly signal?: AbortSignal | undefined;
  /** statement_timeout of each statement, in milliseconds. */
  readonly timeoutMs: number;
  /**
   * Count at most this many matching rows exactly (default 10,000; an exact count of a large table costs a
   * scan of every matching row). Beyond it `total` is the planner's estimate (never below what is known to
   * exist) and `total_exact` is false.
   */
  readonly countLimit?: number;
}

/** One page of rows and what it is a page of. */
export interface TablePage {
  readonly data: Record<string, unknown>[];
  readonly meta: {
    readonly total: number;
    readonly limit: number;
    readonly offset: number;
    readonly table: string;
    /** False when `total` is the planner's estimate (more rows matched than the exact-count cap). */
    readonly total_exact: boolean;
  };
}

/** A query failure the client caused or should see (timeout, a value the server refused). */
export class TableQueryError extends Error {
  override name = 'TableQueryError';
  constructor(
    readonly error: QueryError,
    options?: ErrorOptions,
  ) {
    super(error.message, options);
  }
}

/** Default cap of `count(*)`. */
export const DEFAULT_COUNT_LIMIT = 10_000;

/** Map a database or abort error to a client error; undefined when it is a genuine failure (a 500). */
export function toQueryError(err: unknown): QueryError | undefined {
  if (err instanceof TableQueryError) return err.error;
  const code = errorCode(err);
  if (code === '57014' || (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError'))) {
    return timeoutError();
  }
  // why: values are checked before the query, but the server is the last word on e.g. timestamps and uuids
  if (code?.startsWith('22'))
    return { status: 400, code: 'invalid_value', message: 'a value was refused by the database' };
  if (code === '42883') return { status: 400, code: 'invalid_operator', message: 'the operator does not apply here' };
  return undefined;
}

/** Run a checked query: the page of rows plus the total number of matching rows. */
export async function runTableQuery(
  sql: postgres.Sql,
  table: TableInfo,
  q: TableQuery,
  opts: RunOpts,
): Promise<TablePage> {
  const where = whereSql(sql, q.filters);
  const cap = opts.countLimit ?? DEFAULT_COUNT_LIMIT;
  return await readOnly(sql, opts, async (tx, track) => {
    const rows = await track(
      tx`SELECT ${selectList(tx, table)} FROM ${tx(table.name)} ${where} ${orderSql(tx, table, q)} LIMIT ${q.limit} OFFSET ${q.offset}`,
    );
    let total = q.offset + rows.length;
    let exact = true;
    // why: a short, non-empty page (or an empty first page) already tells the total; count only otherwise
    if (rows.length >= q.limit || (rows.length === 0 && q.offset > 0)) {
      const [r] = await track(
        tx`SELECT count(*)::int AS n FROM (SELECT 1 FROM ${tx(table.name)} ${where} LIMIT ${cap + 1}) AS s`,
      );
      const n = Number(r?.n ?? 0);
      exact = n <= cap;
      total = exact ? n : Math.max(cap, q.offset + rows.length, await estimateRows(tx, track, table, where));
    }
    return {
      data: rows.map((row) => toJsonRow(row, table.columns)),
      meta: { total, limit: q.limit, offset: q.offset, table: table.name, total_exact: exact },
    };
  });
}

/** Fetch one row by its key values (raw text, one per key column, in key order). */
export async function getByPrimaryKey(
  sql: postgres.Sql,
  table: TableInfo,
  key: readonly string[],
  opts: RunOpts,
): Promise<QueryResult<Record<string, unknown>>> {
  if (table.primaryKey.length === 0) return queryFail(404, 'no_primary_key', `${table.name} has no key to look up by`);
  if (key.length !== table.primaryKey.length) {
    return queryFail(400, 'invalid_key', `${table.name} is keyed by ${table.primaryKey.join(', ')}`);
  }
  const filters: Filter[] = [];
  for (const [i, column] of table.primaryKey.entries()) {
    // why: the key is an exact value; an "op:" prefix must not turn it into a range
    const f = parseFilter(table, column, `=:${key[i] ?? ''}`);
    if (!f.ok) return f;
    filters.push(f.value);
  }
  const rows = await readOnly(sql, opts, (tx, track) =>
    track(tx`SELECT ${selectList(tx, table)} FROM ${tx(table.name)} ${whereSql(tx, filters)} LIMIT 1`),
  );
  const row = rows[0];
  if (!row) return queryFail(404, 'not_found', `no ${table.name} row with that key`);
  return { ok: true, value: toJsonRow(row, table.columns) };
}

/** The planner's estimate of the matching rows (EXPLAIN plans the query without running it). */
async function estimateRows(
  tx: postgres.TransactionSql,
  track: Track,
  table: TableInfo,
  where: postgres.PendingQuery<postgres.Row[]>,
): Promise<number> {
  const [r] = await track(tx`EXPLAIN (FORMAT JSON) SELECT 1 FROM ${tx(table.name)} ${where}`);
  const plan = (r?.['QUERY PLAN'] as { Plan?: { 'Plan Rows'?: unknown } }[] | undefined)?.[0]?.Plan;
  const rows = Number(plan?.['Plan Rows']);
  return Number.isFinite(rows) ? Math.round(rows) : 0;
}

function orderSql(sql: postgres.TransactionSql, table: TableInfo, q: TableQuery) {
  const keys: { column: string; desc: boolean }[] = [];
  if (q.sort) keys.push({ column: q.sort.column, desc: q.sort.direction === 'desc' });
  // why: a total order (the key as tie-breaker) makes offset pagination stable
  for (const k of table.primaryKey) if (k !== q.sort?.column) keys.push({ column: k, desc: false });
  let acc: postgres.PendingQuery<postgres.Row[]> | undefined;
  for (const k of keys) {
    const part = k.desc ? sql`${sql(k.column)} DESC` : sql`${sql(k.column)} ASC`;
    acc = acc ? sql`${acc}, ${part}` : sql`ORDER BY ${part}`;
  }
  return acc ?? sql``;
}

type Track = <T extends postgres.Row[]>(q: postgres.PendingQuery<T>) => Promise<T>;

/** Run `fn` in a read-only transaction with a local statement timeout; the signal cancels the running statement. */
async function readOnly<T>(
  sql: postgres.Sql,
  opts: RunOpts,
  fn: (tx: postgres.TransactionSql, track: Track) => Promise<T>,
): Promise<T> {
  const signal = opts.signal;
  if (signal?.aborted) throw new TableQueryError(timeoutError());
  const running = new Set<{ cancel(): void }>();
  const onAbort = (): void => {
    for (const q of running) q.cancel();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const track: Track = async (q) => {
    running.add(q);
    try {
      if (signal?.aborted) q.cancel();
      return await q;
    } finally {
      running.delete(q);
    }
  };
  try {
    const timeout = String(Math.max(1, Math.ceil(opts.timeoutMs)));
    return (await sql.begin('read only', async (tx) => {
      await tx`SELECT set_config('statement_timeout', ${timeout}, true)`;
      return await fn(tx, track);
    })) as T;
  } catch (err) {
    const mapped = toQueryError(err);
    throw mapped ? new TableQueryError(mapped, { cause: err }) : err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

function timeoutError(): QueryError {
  return { status: 504, code: 'timeout', message: 'the query took too long and was cancelled' };
}

/**
 * The columns to select. A text[] column is read as JSON: postgres.js parses a NULL element of an array as the
 * string 'NULL', and `tagvalues` holds NULL for every one-letter tag without a value (NIP-70's `["-"]`).
 */
function selectList(sql: Sql, table: TableInfo): postgres.PendingQuery<postgres.Row[]> {
  const items = table.columns.map((c) =>
    c.type === 'text[]' ? sql`to_jsonb(${sql(c.name)}) AS ${sql(c.name)}` : sql`${sql(c.name)}`,
  );
  return items.reduce((list, item) => sql`${list}, ${item}`);
}
