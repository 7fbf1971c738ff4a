/** SQL pieces shared by the insight queries: cancellation by AbortSignal and defensive reads of JSONB facts. */
import type postgres from 'postgres';
import type { Sql } from '../../../core/db/sql.js';

/** A composable SQL fragment. */
export type Fragment = postgres.PendingQuery<postgres.Row[]>;

/** Run a query, cancelling it on the server when `signal` aborts (the request's deadline or a client gone). */
export async function cancellable<Q extends PromiseLike<unknown> & { cancel(): unknown }>(
  query: Q,
  signal?: AbortSignal,
): Promise<Awaited<Q>> {
  if (!signal) return await query;
  signal.throwIfAborted();
  const onAbort = (): void => void query.cancel();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await query;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** A JSONB value as float8 when it is a JSON number, NULL otherwise (stored documents are not trusted blindly). */
export function jsonNumber(sql: Sql, value: Fragment): Fragment {
  return sql`CASE WHEN jsonb_typeof(${value}) = 'number' THEN (${value} #>> '{}')::float8 END`;
}

/** A JSONB value as text when it is a JSON string, NULL otherwise. */
export function jsonText(sql: Sql, value: Fragment): Fragment {
  return sql`CASE WHEN jsonb_typeof(${value}) = 'string' THEN ${value} #>> '{}' END`;
}

/** `a AND b AND …` (TRUE when empty). */
export function allOf(sql: Sql, conds: readonly Fragment[]): Fragment {
  let acc: Fragment | undefined;
  for (const c of conds) acc = acc ? sql`${acc} AND ${c}` : sql`${c}`;
  return acc ?? sql`TRUE`;
}

/** Decimal places kept of a non-integer number in an answer (milliseconds to the µs, shares 0–1 to 0.1 %). */
export const DECIMALS = 3;

/** The answers' one rounding rule: integers as they are, other numbers to `DECIMALS` places. */
export function round(n: number): number {
  if (Number.isInteger(n)) return n;
  const f = 10 ** DECIMALS;
  return Math.round(n * f) / f;
}

/** A number (rounded by `round`) from a database value that may arrive as a string (int8, numeric) or null. */
export function toNumber(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const n = Number(v);
  return Number.isFinite(n) ? round(n) : null;
}
