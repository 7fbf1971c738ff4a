/**
 * What the connected role may do, checked once when a service starts so that a duty it lacks the privilege for
 * is reported once and skipped, instead of failing every cycle. This happens on a database whose grants are the
 * reference's (its refresher role may only SELECT, its reader may not write `service_state`) until `db init`
 * has been run there with the admin role.
 */
import type postgres from 'postgres';
import type { ServiceName, StateType } from '../../models/service-state.js';
import { upsertServiceState } from './store.js';

/** SQLSTATEs that mean "this role may not write here": insufficient_privilege, read_only_sql_transaction. */
const DENIED = new Set(['42501', '25006']);

/** A rollback on purpose: the probe's transaction must never keep its row. */
class ProbeRollback extends Error {}

/**
 * Whether the role can write `(service, type, key)` rows of service_state (grants, row-level security and a
 * read-only session all count): the row is upserted in a transaction that is then rolled back. Returns the
 * reason when it cannot; any other error (the database is down) is thrown.
 */
export async function stateWriteDenied(
  sql: postgres.Sql,
  row: { readonly serviceName: ServiceName; readonly stateType: StateType; readonly stateKey: string },
): Promise<string | undefined> {
  try {
    // read write: as the service itself writes (the DVM's sessions start read-only, its state writes do not)
    await sql.begin('read write', async (tx) => {
      await upsertServiceState(tx, [{ ...row, stateValue: {} }]);
      throw new ProbeRollback();
    });
  } catch (err) {
    if (err instanceof ProbeRollback) return undefined;
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && DENIED.has(code)) return `${code}: ${(err as Error).message}`;
    throw err;
  }
  return undefined;
}

/** The `table:PRIVILEGE` pairs of `wanted` the role lacks (an absent table counts as lacking). */
export async function missingTablePrivileges(
  sql: postgres.Sql,
  wanted: readonly { readonly table: string; readonly privilege: 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE' }[],
): Promise<string[]> {
  if (wanted.length === 0) return [];
  const rows = await sql<{ want: string; ok: boolean }[]>`
    SELECT w.t || ':' || w.p AS want,
      COALESCE(to_regclass(quote_ident(w.t)) IS NOT NULL AND has_table_privilege(to_regclass(quote_ident(w.t)), w.p),
        false) AS ok
    FROM unnest(${wanted.map((w) => w.table)}::text[], ${wanted.map((w) => w.privilege)}::text[]) AS w(t, p)`;
  return rows.filter((r) => !r.ok).map((r) => r.want);
}

/**
 * The materialized views of `views` the role cannot refresh: REFRESH needs the view's owner, or membership
 * of the owning role. A missing view is listed too.
 */
export async function unrefreshableViews(sql: postgres.Sql, views: readonly string[]): Promise<string[]> {
  if (views.length === 0) return [];
  const rows = await sql<{ view: string; ok: boolean }[]>`
    SELECT v.name AS view, COALESCE(pg_has_role(m.matviewowner, 'USAGE'), false) AS ok
    FROM unnest(${views as string[]}::text[]) AS v(name)
    LEFT JOIN pg_matviews m ON m.matviewname = v.name AND m.schemaname = current_schema()`;
  return rows.filter((r) => !r.ok).map((r) => r.view);
}
