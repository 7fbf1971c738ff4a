/**
 * NIP-45 COUNT over the archive: exact when PostgreSQL counts within `timeoutMs`, otherwise the planner's
 * estimate of the same query, answered with `approximate: true`.
 */

import type { Sql } from '../../../core/db/sql.js';
import type { Filter } from '../../../nips/nip01/filter.js';
import { idsQuery } from './sql.js';

/** A COUNT answer. */
export interface CountResult {
  readonly count: number;
  readonly approximate: boolean;
}

const QUERY_CANCELED = '57014';

/** Count the events matching any of `filters` (their limits ignored). */
export async function countFilters(sql: Sql, filters: readonly Filter[], timeoutMs: number): Promise<CountResult> {
  const ids = idsQuery(sql, filters);
  if (!ids) return { count: 0, approximate: false };
  const q = sql<{ n: string }[]>`SELECT count(*)::text AS n FROM (${ids}) c`;
  const timer = setTimeout(() => void q.cancel(), timeoutMs);
  try {
    const [row] = await q;
    return { count: Number(row?.n ?? 0), approximate: false };
  } catch (err) {
    if ((err as { code?: string }).code !== QUERY_CANCELED) throw err;
  } finally {
    clearTimeout(timer);
  }
  const plan = await sql<{ 'QUERY PLAN': [{ Plan: { 'Plan Rows': number } }] }[]>`
    EXPLAIN (FORMAT JSON) ${idsQuery(sql, filters) ?? sql`SELECT 1`}`;
  const rows = plan[0]?.['QUERY PLAN'][0]?.Plan['Plan Rows'] ?? 0;
  return { count: Math.max(0, Math.round(rows)), approximate: true };
}
