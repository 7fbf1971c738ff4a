/**
 * `GET /pipeline`: what every stage of the pipeline is doing, from `service_state` and the relay tables —
 * candidates waiting and failing with their failure reasons (validator checkpoints), relays promoted, relays
 * monitored (newest RTT checks), relays synchronized with the incomplete ones and the kinds withheld from them
 * (synchronizer cursors and `sync_status` rows), and each service's last cycle (`cycle`/`last` rows the runner
 * writes).
 */

import type { Sql } from '../../../core/db/sql.js';
import { type Checked, ok } from '../../../models/result.js';
import { readParams } from './params.js';
import { cancellable, type Fragment, toNumber } from './sql.js';

/** A count by reason (or kind). */
export interface ReasonCount {
  readonly reason: string;
  readonly count: number;
}

/** One relay the synchronizer could not complete, or completed with kinds withheld. */
export interface SyncProblem {
  readonly url: string;
  readonly complete: boolean;
  readonly reason: string | null;
  readonly resume_at: number | null;
  readonly withheld: Readonly<Record<string, number | null>>;
  readonly updated_at: number | null;
}

/** One service's last cycle. */
export interface LastCycle {
  readonly service: string;
  readonly started_at: number | null;
  readonly ended_at: number | null;
  readonly outcome: string | null;
  readonly error: string | null;
}

/** Everything `/pipeline` answers. */
export interface Pipeline {
  readonly candidates: {
    readonly waiting: number;
    readonly never_checked: number;
    readonly failing: number;
    readonly failure_reasons: readonly ReasonCount[];
  };
  readonly relays: { readonly promoted: number };
  readonly monitor: { readonly monitored: number; readonly checked_24h: number; readonly online: number };
  readonly synchronizer: {
    readonly synchronized: number;
    readonly oldest_cursor: number | null;
    readonly complete: number;
    readonly incomplete: number;
    readonly withheld: number;
    readonly incomplete_reasons: readonly ReasonCount[];
    readonly withheld_kinds: readonly { kind: number; relays: number; events: number | null }[];
    readonly problems: readonly SyncProblem[];
  };
  readonly services: readonly LastCycle[];
}

/** Relays listed in `synchronizer.problems` at most. */
export const MAX_PROBLEMS = 50;

/** `/pipeline` takes no parameter. */
export function parsePipelineQuery(url: string): Checked<Record<string, never>> {
  const params = readParams(url, () => false);
  return params.ok ? ok({}) : params;
}

/** The pipeline's figures, `now` in seconds. */
export async function pipeline(
  sql: Sql,
  opts: { readonly now: number; readonly signal?: AbortSignal },
): Promise<Pipeline> {
  const s = opts.signal;
  const failures = (): Fragment => sql`COALESCE((state_value ->> 'failures')::int, 0)`;
  const candidate = (): Fragment => sql`service_name = 'validator' AND state_type = 'checkpoint'`;
  const sync = (): Fragment => sql`service_name = 'synchronizer' AND state_type = 'sync_status'`;
  const hasWithheld = (): Fragment =>
    sql`jsonb_typeof(state_value -> 'withheld') = 'object' AND state_value -> 'withheld' <> '{}'::jsonb`;
  const [cand, reasons, relays, monitor, cursors, syncRows, syncReasons, withheld, problems, cycles] =
    await Promise.all([
      cancellable(
        sql`SELECT count(*)::int AS waiting, count(*) FILTER (WHERE ${failures()} = 0)::int AS never_checked
        FROM service_state WHERE ${candidate()}`,
        s,
      ),
      cancellable(
        sql`SELECT COALESCE(state_value ->> 'reason', 'unknown') AS reason, count(*)::int AS count
        FROM service_state WHERE ${candidate()} AND ${failures()} > 0
        GROUP BY 1 ORDER BY count DESC, reason LIMIT 50`,
        s,
      ),
      cancellable(sql`SELECT count(*)::int AS n FROM relay`, s),
      cancellable(
        sql`SELECT count(*)::int AS monitored,
          count(*) FILTER (WHERE generated_at > ${opts.now - 86_400}::bigint)::int AS checked_24h,
          count(*) FILTER (WHERE data -> 'logs' -> 'open_success' = 'true'::jsonb)::int AS online
        FROM relay_metadata_latest WHERE metadata_type = 'nip66_rtt'`,
        s,
      ),
      cancellable(
        sql`SELECT count(*)::int AS n, min((state_value ->> 'timestamp')::bigint) AS oldest FROM service_state
        WHERE service_name = 'synchronizer' AND state_type = 'cursor'
          AND jsonb_typeof(state_value -> 'timestamp') = 'number'`,
        s,
      ),
      cancellable(
        sql`SELECT count(*) FILTER (WHERE state_value -> 'complete' = 'true'::jsonb)::int AS complete,
          count(*) FILTER (WHERE state_value -> 'complete' = 'false'::jsonb)::int AS incomplete,
          count(*) FILTER (WHERE ${hasWithheld()})::int AS withheld
        FROM service_state WHERE ${sync()}`,
        s,
      ),
      cancellable(
        sql`SELECT COALESCE(state_value ->> 'reason', 'unknown') AS reason, count(*)::int AS count
        FROM service_state WHERE ${sync()} AND state_value -> 'complete' = 'false'::jsonb
        GROUP BY 1 ORDER BY count DESC, reason LIMIT 50`,
        s,
      ),
      cancellable(
        sql`SELECT w.key AS kind, count(*)::int AS relays,
          CASE WHEN bool_and(jsonb_typeof(w.value) = 'number') THEN sum((w.value #>> '{}')::numeric) END AS events
        FROM service_state, jsonb_each(CASE WHEN jsonb_typeof(state_value -> 'withheld') = 'object'
          THEN state_value -> 'withheld' ELSE '{}'::jsonb END) w
        WHERE ${sync()} AND w.key ~ '^[0-9]{1,5}$'
        GROUP BY w.key ORDER BY relays DESC, w.key::int LIMIT 100`,
        s,
      ),
      cancellable(
        sql`SELECT state_key AS url, state_value AS v FROM service_state
        WHERE ${sync()} AND (state_value -> 'complete' = 'false'::jsonb
          OR (${hasWithheld()}))
        ORDER BY state_value -> 'complete' = 'true'::jsonb, state_key LIMIT ${MAX_PROBLEMS}`,
        s,
      ),
      cancellable(
        sql`SELECT service_name AS service, state_value AS v FROM service_state
        WHERE state_type = 'cycle' AND state_key = 'last' ORDER BY service_name`,
        s,
      ),
    ]);
  const c = cand[0] ?? {};
  const m = monitor[0] ?? {};
  const y = syncRows[0] ?? {};
  const waiting = toNumber(c.waiting) ?? 0;
  const neverChecked = toNumber(c.never_checked) ?? 0;
  return {
    candidates: {
      waiting,
      never_checked: neverChecked,
      failing: waiting - neverChecked,
      failure_reasons: reasons.map(reasonCount),
    },
    relays: { promoted: toNumber(relays[0]?.n) ?? 0 },
    monitor: {
      monitored: toNumber(m.monitored) ?? 0,
      checked_24h: toNumber(m.checked_24h) ?? 0,
      online: toNumber(m.online) ?? 0,
    },
    synchronizer: {
      synchronized: toNumber(cursors[0]?.n) ?? 0,
      oldest_cursor: toNumber(cursors[0]?.oldest),
      complete: toNumber(y.complete) ?? 0,
      incomplete: toNumber(y.incomplete) ?? 0,
      withheld: toNumber(y.withheld) ?? 0,
      incomplete_reasons: syncReasons.map(reasonCount),
      withheld_kinds: withheld.map((r) => ({
        kind: toNumber(r.kind) ?? 0,
        relays: toNumber(r.relays) ?? 0,
        events: toNumber(r.events),
      })),
      problems: problems.map((r) => ({ url: String(r.url), ...syncStatus(r.v) })),
    },
    services: cycles.map((r) => lastCycle(String(r.service), r.v)),
  };
}

function reasonCount(r: Record<string, unknown>): ReasonCount {
  return { reason: String(r.reason), count: toNumber(r.count) ?? 0 };
}

const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' ? toNumber(v) : null);

/** A stored `sync_status` value, read defensively (the fields the synchronizer writes; others dropped). */
export function syncStatus(value: unknown): Omit<SyncProblem, 'url'> {
  const v = obj(value);
  const withheld: Record<string, number | null> = {};
  for (const [kind, n] of Object.entries(obj(v.withheld))) if (/^\d{1,5}$/.test(kind)) withheld[kind] = num(n);
  return {
    complete: v.complete === true,
    reason: text(v.reason),
    resume_at: num(v.resume_at),
    withheld,
    updated_at: num(v.updated_at),
  };
}

function lastCycle(service: string, value: unknown): LastCycle {
  const v = obj(value);
  return {
    service,
    started_at: num(v.started_at),
    ended_at: num(v.ended_at),
    outcome: text(v.outcome),
    error: text(v.error),
  };
}
