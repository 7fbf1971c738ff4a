/**
 * `GET /events`: stored events matching a [NIP-01](https://github.com/nostr-protocol/nips/blob/master/01.md) filter
 * given as query parameters (`ids`, `authors`, `kinds` comma-separated; `#x` tag filters; `since`, `until`,
 * `limit`), newest first, with keyset pagination (`until` + `before_id`), each with the relays it was seen on.
 *
 * The queries follow the event indexes: ids by primary key; authors and kinds each drive a LATERAL
 * scan of `(pubkey, [kind,] created_at DESC)` / `(kind, created_at DESC)` per value so a multi-value filter never
 * sorts the whole table; tags through the GIN index on `tagvalues` (`name:value` of each one-letter tag's first
 * value). In lilbrotr `tags`, `content` and `sig` are NULL and answered as null.
 */

import type { Sql } from '../../../core/db/sql.js';
import type { PageOpts } from '../../../core/tables/query.js';
import { type Checked, ok, refuse } from '../../../models/result.js';
import { parseInteger, parseList, readParams } from './params.js';
import { allOf, cancellable, type Fragment } from './sql.js';

/** The most values one list parameter (`ids`, `authors`, `kinds`, a tag) may carry. */
export const MAX_LIST = 500;

/** A validated `/events` request. */
export interface EventQuery {
  readonly ids?: readonly string[];
  readonly authors?: readonly string[];
  readonly kinds?: readonly number[];
  /** Tag filters: every entry must match (AND), any of its values (OR). */
  readonly tags: readonly { readonly name: string; readonly values: readonly string[] }[];
  readonly since?: number;
  readonly until?: number;
  /** Tie-break of the cursor: only events at `until` with a smaller id (requires `until`). */
  readonly beforeId?: string;
  readonly limit: number;
}

/** Where the next page starts. */
export interface EventCursor {
  readonly until: number;
  readonly before_id: string;
}

const HEX64 = /^[0-9a-f]{64}$/;
const TAG = /^#[A-Za-z]$/;
const SIMPLE = new Set(['ids', 'authors', 'kinds', 'since', 'until', 'limit', 'before_id']);

/** Check an `/events` request's query string; `limit` is clamped to the maximum page size. */
export function parseEventQuery(url: string, page: PageOpts): Checked<EventQuery> {
  const params = readParams(url, (k) => SIMPLE.has(k) || TAG.test(k));
  if (!params.ok) return params;
  const p = params.value;
  const ids = hexList(p.get('ids'), 'ids');
  if (!ids.ok) return ids;
  const authors = hexList(p.get('authors'), 'authors');
  if (!authors.ok) return authors;
  const kinds = kindList(p.get('kinds'));
  if (!kinds.ok) return kinds;
  const tags: { name: string; values: string[] }[] = [];
  for (const [key, raw] of p) {
    if (!TAG.test(key)) continue;
    const values = tagValues(raw, key);
    if (!values.ok) return values;
    tags.push({ name: key.slice(1), values: values.value });
  }
  const time = { min: 0, max: Number.MAX_SAFE_INTEGER, dflt: 0 };
  const since = p.has('since') ? parseInteger(p.get('since'), 'since', time) : ok(undefined);
  if (!since.ok) return since;
  const until = p.has('until') ? parseInteger(p.get('until'), 'until', time) : ok(undefined);
  if (!until.ok) return until;
  const beforeId = hexList(p.get('before_id'), 'before_id');
  if (!beforeId.ok) return beforeId;
  if (beforeId.value !== undefined && (beforeId.value.length !== 1 || until.value === undefined))
    return refuse('invalid_before_id', 'before_id is one event id and needs until (the cursor is until + before_id)');
  const limit = parseInteger(p.get('limit'), 'limit', {
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    dflt: page.defaultPageSize,
  });
  if (!limit.ok) return limit;
  return ok({
    ...(ids.value === undefined ? {} : { ids: ids.value }),
    ...(authors.value === undefined ? {} : { authors: authors.value }),
    ...(kinds.value === undefined ? {} : { kinds: kinds.value }),
    tags,
    ...(since.value === undefined ? {} : { since: since.value }),
    ...(until.value === undefined ? {} : { until: until.value }),
    ...(beforeId.value?.[0] === undefined ? {} : { beforeId: beforeId.value[0] }),
    limit: Math.min(limit.value, page.maxPageSize),
  });
}

function hexList(raw: string | undefined, name: string): Checked<string[] | undefined> {
  if (raw === undefined) return ok(undefined);
  const items = parseList(raw.toLowerCase(), name, MAX_LIST);
  if (!items.ok) return items;
  if (!items.value.every((h) => HEX64.test(h)))
    return refuse(`invalid_${name}`, `${name} must be 64-character hex strings, comma-separated`);
  return items;
}

function kindList(raw: string | undefined): Checked<number[] | undefined> {
  if (raw === undefined) return ok(undefined);
  const items = parseList(raw, 'kinds', MAX_LIST);
  if (!items.ok) return items;
  const kinds: number[] = [];
  for (const k of items.value) {
    const n = parseInteger(k, 'kinds', { min: 0, max: 65_535, dflt: 0 });
    if (!n.ok) return n;
    kinds.push(n.value);
  }
  return ok([...new Set(kinds)]);
}

/** Tag values: comma-separated, or a JSON array of strings when a value itself holds a comma. */
function tagValues(raw: string, key: string): Checked<string[]> {
  if (!raw.startsWith('[')) return parseList(raw, 'tag', MAX_LIST);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return refuse('invalid_tag', `${key} must be comma-separated values or a JSON array of strings`);
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || parsed.length > MAX_LIST)
    return refuse('invalid_tag', `${key} must be a JSON array of 1 to ${MAX_LIST} strings`);
  if (!parsed.every((v) => typeof v === 'string' && !v.includes('\0')))
    return refuse('invalid_tag', `${key} must be a JSON array of strings`);
  return ok(parsed as string[]);
}

const bytea = (sql: Sql, hexes: readonly string[]) =>
  sql.array(
    hexes.map((h) => Buffer.from(h, 'hex')),
    1001,
  );

/** One page as JSON texts (one `{"event": …, "seen_on": […]}` per event, built by PostgreSQL) and the next cursor. */
export async function findEventsJson(
  sql: Sql,
  q: EventQuery,
  opts: { readonly signal?: AbortSignal } = {},
): Promise<{ items: string[]; next: EventCursor | null }> {
  if (q.limit === 0) return { items: [], next: null };
  // why JSON from the database: no bytea → Buffer → hex and jsonb → object → text round trips in Node, which
  // dominate the cost of a page. The sightings come in the same round trip: one probe of one event_relay
  // partition per event (run-time pruning).
  const rows = await cancellable(
    sql<{ item: string; created_at: string; id: string }[]>`SELECT json_build_object(
        'event', json_build_object('id', encode(p.id, 'hex'), 'pubkey', encode(p.pubkey, 'hex'),
          'created_at', p.created_at, 'kind', p.kind, 'tags', p.tags, 'content', p.content, 'sig', encode(p.sig, 'hex')),
        'seen_on', COALESCE((SELECT json_agg(json_build_object('relay', er.relay_url, 'seen_at', er.seen_at)
          ORDER BY er.seen_at, er.relay_url) FROM event_relay er WHERE er.event_id = p.id), '[]'::json))::text AS item,
        p.created_at, encode(p.id, 'hex') AS id
      FROM (${pageQuery(sql, q)}) p ORDER BY p.created_at DESC, p.id DESC`,
    opts.signal,
  );
  const more = rows.length > q.limit;
  const page = more ? rows.slice(0, q.limit) : rows;
  const last = page.at(-1);
  return {
    items: page.map((r) => r.item),
    next: more && last ? { until: Number(last.created_at), before_id: last.id } : null,
  };
}

/** The query of one page (`limit + 1` rows), driven by the most selective indexed list. */
function pageQuery(sql: Sql, q: EventQuery): Fragment {
  const n = q.limit + 1;
  const inner = (drive: Fragment, conds: Fragment[]): Fragment =>
    sql`SELECT e.id, e.pubkey, e.created_at, e.kind, e.tags, e.content, e.sig FROM event e
      WHERE ${allOf(sql, [drive, ...conds])} ORDER BY e.created_at DESC, e.id DESC LIMIT ${n}::int`;
  const common = commonConditions(sql, q);
  if (q.ids) {
    const rest = [
      ...common,
      ...(q.authors ? [authorsIn(sql, q.authors)] : []),
      ...(q.kinds ? [kindsIn(sql, q.kinds)] : []),
    ];
    return inner(sql`e.id = ANY(${bytea(sql, q.ids)})`, rest);
  }
  if (q.authors) {
    const rest = [...common, ...(q.kinds ? [kindsIn(sql, q.kinds)] : [])];
    return sql`SELECT x.* FROM unnest(${bytea(sql, q.authors)}) AS a(pk)
      CROSS JOIN LATERAL (${inner(sql`e.pubkey = a.pk`, rest)}) x
      ORDER BY x.created_at DESC, x.id DESC LIMIT ${n}::int`;
  }
  if (q.kinds) {
    return sql`SELECT x.* FROM unnest(${q.kinds as number[]}::int[]) AS k(kind)
      CROSS JOIN LATERAL (${inner(sql`e.kind = k.kind`, common)}) x
      ORDER BY x.created_at DESC, x.id DESC LIMIT ${n}::int`;
  }
  return inner(sql`TRUE`, common);
}

const authorsIn = (sql: Sql, authors: readonly string[]): Fragment => sql`e.pubkey = ANY(${bytea(sql, authors)})`;
const kindsIn = (sql: Sql, kinds: readonly number[]): Fragment => sql`e.kind = ANY(${kinds as number[]}::int[])`;

/** Time bounds, the cursor and the tag filters. */
function commonConditions(sql: Sql, q: EventQuery): Fragment[] {
  const conds: Fragment[] = [];
  if (q.since !== undefined) conds.push(sql`e.created_at >= ${q.since}::bigint`);
  if (q.until !== undefined)
    conds.push(
      q.beforeId === undefined
        ? sql`e.created_at <= ${q.until}::bigint`
        : sql`(e.created_at, e.id) < (${q.until}::bigint, ${Buffer.from(q.beforeId, 'hex')}::bytea)`,
    );
  for (const t of q.tags) conds.push(sql`e.tagvalues && ${t.values.map((v) => `${t.name}:${v}`)}::text[]`);
  return conds;
}
