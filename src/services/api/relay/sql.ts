/**
 * The relay endpoint's SQL: NIP-01 filters over the archive's `event` table, answered by the indexes.
 *
 * - ids by primary key; a list of up to 64 authors (or, without authors, of kinds) drives one LATERAL scan of
 *   `(pubkey, [kind,] created_at DESC)` / `(kind, created_at DESC)` per value, so `limit` stops each scan early
 *   instead of sorting every match;
 * - `#x` tag filters through the GIN index on `tagvalues`, which holds `x:value` for the first value of every
 *   tag whose name is one character (`tags_to_tagvalues`), the exact set a NIP-01 tag filter tests;
 * - since/until inclusive; newest first, ties by id ascending (NIP-01).
 *
 * Events leave PostgreSQL as JSON text (`json_build_object`), so a stored event is sent without a bytea → hex
 * and jsonb → object round trip in Node.
 */

import type { Sql } from '../../../core/db/sql.js';
import type { Filter } from '../../../nips/nip01/filter.js';
import { allOf, type Fragment } from '../insights/sql.js';

/** One event as NIP-01 JSON text, with the keys of its order. */
export interface EventJsonRow {
  readonly json: string;
}

const bytea = (sql: Sql, hexes: readonly string[]) =>
  sql.array(
    hexes.map((h) => Buffer.from(h, 'hex')),
    1001,
  );

/** The tag filters of a filter: `[letter, values]` for every `#x` key. */
export function tagFilters(f: Filter): [string, string[]][] {
  const out: [string, string[]][] = [];
  for (const [key, values] of Object.entries(f)) {
    if (key.length === 2 && key.startsWith('#') && Array.isArray(values)) out.push([key.slice(1), values]);
  }
  return out;
}

/** Whether a filter can match nothing at all (an empty list, since after until). */
export function matchesNothing(f: Filter): boolean {
  if (f.ids?.length === 0 || f.authors?.length === 0 || f.kinds?.length === 0) return true;
  if (f.since !== undefined && f.until !== undefined && f.since > f.until) return true;
  return tagFilters(f).some(([, v]) => v.length === 0);
}

/** The filter's conditions on `e` except the list that drives the scan. */
function conditions(sql: Sql, f: Filter, skip: 'authors' | 'kinds' | undefined): Fragment[] {
  const c: Fragment[] = [];
  if (f.ids) c.push(sql`e.id = ANY(${bytea(sql, f.ids)})`);
  if (f.authors && skip !== 'authors') c.push(sql`e.pubkey = ANY(${bytea(sql, f.authors)})`);
  if (f.kinds && skip !== 'kinds') c.push(sql`e.kind = ANY(${f.kinds}::int[])`);
  if (f.since !== undefined) c.push(sql`e.created_at >= ${f.since}::bigint`);
  if (f.until !== undefined) c.push(sql`e.created_at <= ${f.until}::bigint`);
  for (const [name, values] of tagFilters(f)) {
    c.push(sql`e.tagvalues && ${values.map((v) => `${name}:${v}`)}::text[]`);
  }
  return c;
}

/** Every condition of the filter (no limit): for COUNT and NIP-77. */
export function filterWhere(sql: Sql, f: Filter): Fragment {
  return allOf(sql, conditions(sql, f, undefined));
}

const EVENT_JSON = (sql: Sql): Fragment =>
  sql`json_build_object('id', encode(e.id, 'hex'), 'pubkey', encode(e.pubkey, 'hex'), 'created_at', e.created_at,
    'kind', e.kind, 'tags', e.tags, 'content', e.content, 'sig', encode(e.sig, 'hex'))::text`;

/**
 * The longest list that drives one scan per value; a longer one (a synchronizer splitting 65,536 kinds in ranges)
 * is a plain condition, the scan driven by time.
 */
const MAX_DRIVING_LIST = 64;

/** The newest `limit` events of one filter: `(id, created_at, json)` rows in NIP-01 order. */
function filterQuery(sql: Sql, f: Filter, limit: number): Fragment {
  const scan = (drive: Fragment, skip: 'authors' | 'kinds' | undefined): Fragment =>
    sql`SELECT e.id, e.created_at, ${EVENT_JSON(sql)} AS json FROM event e
      WHERE ${allOf(sql, [drive, ...conditions(sql, f, skip)])}
      ORDER BY e.created_at DESC, e.id ASC LIMIT ${limit}::int`;
  if (!f.ids && f.authors && f.authors.length <= MAX_DRIVING_LIST) {
    return sql`SELECT x.* FROM unnest(${bytea(sql, f.authors)}) AS a(pk)
      CROSS JOIN LATERAL (${scan(sql`e.pubkey = a.pk`, 'authors')}) x
      ORDER BY x.created_at DESC, x.id ASC LIMIT ${limit}::int`;
  }
  if (!f.ids && f.kinds && f.kinds.length <= MAX_DRIVING_LIST) {
    return sql`SELECT x.* FROM unnest(${f.kinds}::int[]) AS k(kind)
      CROSS JOIN LATERAL (${scan(sql`e.kind = k.kind`, 'kinds')}) x
      ORDER BY x.created_at DESC, x.id ASC LIMIT ${limit}::int`;
  }
  return scan(sql`TRUE`, undefined);
}

/**
 * The stored events of a REQ: each filter's newest `min(limit, maxLimit)` events, the union without
 * duplicates, newest first. Undefined when no filter can match.
 */
export function reqQuery(sql: Sql, filters: readonly Filter[], maxLimit: number): Fragment | undefined {
  const parts = filters
    .filter((f) => !matchesNothing(f) && f.limit !== 0)
    .map((f) => filterQuery(sql, f, Math.min(f.limit ?? maxLimit, maxLimit)));
  if (parts.length === 0) return undefined;
  let union = sql`(${parts[0] as Fragment})`;
  for (const p of parts.slice(1)) union = sql`${union} UNION (${p})`;
  return sql`SELECT u.json FROM (${union}) u ORDER BY u.created_at DESC, u.id ASC`;
}

/** The ids of every event matching any of the filters (limits ignored), for COUNT. */
export function idsQuery(sql: Sql, filters: readonly Filter[]): Fragment | undefined {
  const parts = filters
    .filter((f) => !matchesNothing(f))
    .map((f) => sql`SELECT e.id FROM event e WHERE ${filterWhere(sql, f)}`);
  if (parts.length === 0) return undefined;
  let union = parts[0] as Fragment;
  for (const p of parts.slice(1)) union = sql`${union} UNION ${p}`;
  return union;
}

/** The `(created_at, id)` items of one filter for NIP-77, at most `max + 1` (one more tells "too many"). */
export async function negentropyItems(sql: Sql, f: Filter, max: number): Promise<{ timestamp: number; id: string }[]> {
  if (matchesNothing(f)) return [];
  const rows = await sql<{ t: string; id: string }[]>`
    SELECT e.created_at::text AS t, encode(e.id, 'hex') AS id FROM event e
    WHERE ${filterWhere(sql, f)} LIMIT ${max + 1}::int`;
  return rows.map((r) => ({ timestamp: Number(r.t), id: r.id }));
}

/**
 * Events first sighted at or after `floor` (a seen_at second): their JSON, first seen_at and id. An event already
 * sighted before `floor` (archived earlier, seen again on another relay) is not new and is left out.
 */
export function newSightingsQuery(sql: Sql, floor: number, batch: number): Fragment {
  return sql`SELECT ${EVENT_JSON(sql)} AS json, n.seen_at::text AS seen_at, encode(e.id, 'hex') AS id
    FROM (SELECT er.event_id, min(er.seen_at) AS seen_at FROM event_relay er
          WHERE er.seen_at >= ${floor}::bigint
            AND NOT EXISTS (SELECT 1 FROM event_relay o WHERE o.event_id = er.event_id AND o.seen_at < ${floor}::bigint)
          GROUP BY er.event_id ORDER BY min(er.seen_at), er.event_id LIMIT ${batch}::int) n
    JOIN event e ON e.id = n.event_id
    ORDER BY n.seen_at, e.id`;
}
