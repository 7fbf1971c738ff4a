/**
 * The table catalog: the tables, views and materialized views of the `public` schema that the
 * configuration enables, with their columns and keys, read from pg_catalog. Shared by the REST API and the DVM.
 * Only names the configuration enables (and the connected role may SELECT) are ever returned, so nothing else
 * can reach a query.
 */
import type { z } from 'zod';
import type { tablesSchema } from '../config/service.js';
import type { Sql } from '../db/sql.js';

/** What a relation is. */
export type TableKind = 'table' | 'view' | 'matview';

/** One column: its name, its PostgreSQL type as `format_type` spells it (`bigint`, `text[]`, `bytea`), nullability. */
export interface ColumnInfo {
  readonly name: string;
  readonly type: string;
  readonly nullable: boolean;
}

/**
 * One exposed relation. `primaryKey` is the primary key of a table, the smallest unique index of a materialized
 * view (or of a table without a primary key), and empty for a view.
 */
export interface TableInfo {
  readonly name: string;
  readonly kind: TableKind;
  readonly columns: readonly ColumnInfo[];
  readonly primaryKey: readonly string[];
  /** Price in millisats (the DVM's; the API ignores it). */
  readonly price: number;
}

/** The exposed relations by name; `missing` lists names enabled in the configuration that the database lacks. */
export interface Catalog {
  readonly tables: ReadonlyMap<string, TableInfo>;
  readonly missing: readonly string[];
}

/** The `tables:` block shared by api.yaml and dvm.yaml. */
export type TablesConfig = z.output<typeof tablesSchema>;

const KINDS: Readonly<Record<string, TableKind>> = { r: 'table', p: 'table', v: 'view', m: 'matview' };
// why: postgres.js quotes identifiers but splits them at dots (schema.name), so such names are never served
const SAFE_NAME = /^[^.\0]{1,63}$/;

/** The names the configuration enables, sorted. */
export function enabledTables(tables: TablesConfig): string[] {
  return Object.entries(tables)
    .filter(([, t]) => t.enabled)
    .map(([name]) => name)
    .sort();
}

/** Discover the enabled relations of the public schema with their columns and keys (three catalog queries). */
export async function loadCatalog(sql: Sql, tables: TablesConfig): Promise<Catalog> {
  const names = enabledTables(tables).filter((n) => SAFE_NAME.test(n));
  if (names.length === 0) return { tables: new Map(), missing: [] };
  const rels = await sql<{ name: string; kind: string }[]>`
    SELECT c.relname AS name, c.relkind::text AS kind
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition
      AND c.relname = ANY(${names}::text[]) AND has_table_privilege(c.oid, 'SELECT')`;
  const found = rels.map((r) => r.name);
  const [columns, keys] = await Promise.all([loadColumns(sql, found), loadKeys(sql, found)]);
  const out = new Map<string, TableInfo>();
  for (const rel of rels.sort((a, b) => a.name.localeCompare(b.name))) {
    const kind = KINDS[rel.kind] ?? 'table';
    const cols = columns.get(rel.name) ?? [];
    if (cols.length === 0) continue;
    out.set(rel.name, {
      name: rel.name,
      kind,
      columns: cols,
      primaryKey: kind === 'view' ? [] : pickKey(keys.get(rel.name) ?? [], cols),
      price: tables[rel.name]?.price ?? 0,
    });
  }
  return { tables: out, missing: names.filter((n) => !out.has(n)) };
}

async function loadColumns(sql: Sql, names: readonly string[]): Promise<Map<string, ColumnInfo[]>> {
  const rows = await sql<{ rel: string; name: string; type: string; nullable: boolean }[]>`
    SELECT c.relname AS rel, a.attname AS name, format_type(a.atttypid, NULL) AS type, NOT a.attnotnull AS nullable
    FROM pg_catalog.pg_attribute a
      JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relname = ANY(${names}::text[]) AND a.attnum > 0 AND NOT a.attisdropped
      AND has_column_privilege(c.oid, a.attnum, 'SELECT')
    ORDER BY c.relname, a.attnum`;
  const out = new Map<string, ColumnInfo[]>();
  for (const r of rows) {
    if (!SAFE_NAME.test(r.name)) continue;
    const list = out.get(r.rel) ?? [];
    list.push({ name: r.name, type: r.type, nullable: r.nullable });
    out.set(r.rel, list);
  }
  return out;
}

interface KeyRow {
  rel: string;
  primary: boolean;
  cols: string[];
}

async function loadKeys(sql: Sql, names: readonly string[]): Promise<Map<string, KeyRow[]>> {
  const rows = await sql<KeyRow[]>`
    SELECT c.relname AS rel, i.indisprimary AS primary,
      ARRAY(SELECT a.attname::text
            FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
              JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
            WHERE k.ord <= i.indnkeyatts ORDER BY k.ord) AS cols
    FROM pg_catalog.pg_index i
      JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relname = ANY(${names}::text[])
      AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL`;
  const out = new Map<string, KeyRow[]>();
  for (const r of rows) out.set(r.rel, [...(out.get(r.rel) ?? []), r]);
  return out;
}

/** The primary key if there is one, else the unique index with the fewest columns (ties: alphabetical). */
function pickKey(candidates: readonly KeyRow[], cols: readonly ColumnInfo[]): string[] {
  const known = new Set(cols.map((c) => c.name));
  const usable = candidates.filter((k) => k.cols.length > 0 && k.cols.every((c) => known.has(c)));
  const primary = usable.find((k) => k.primary);
  if (primary) return primary.cols;
  const sorted = [...usable].sort(
    (a, b) => a.cols.length - b.cols.length || a.cols.join().localeCompare(b.cols.join()),
  );
  return sorted[0]?.cols ?? [];
}
