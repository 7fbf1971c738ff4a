/**
 * The catalog facts of a database in the format of test/reference/reference-schema-*.txt (the reference
 * implementation's schema, release 6.6.9, as PostgreSQL 15 reports it): relations with their partition key,
 * partitions with their bound, columns in order with type, NOT NULL, default and generation, and functions by
 * identity arguments and result. Objects that belong to an extension are left out.
 */
import { readFileSync } from 'node:fs';
import type postgres from 'postgres';

/** The reference's facts for a deployment, comments left out, sorted. */
export function referenceFacts(deployment: 'bigbrotr' | 'lilbrotr'): string[] {
  const file = new URL(`../reference/reference-schema-${deployment}-6.6.9.txt`, import.meta.url);
  return sortFacts(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#')),
  );
}

function sortFacts(lines: string[]): string[] {
  return [...lines].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The same facts read from the database's public schema. */
export async function catalogFacts(sql: postgres.Sql): Promise<string[]> {
  const rows = await sql<{ line: string }[]>`
    WITH ext AS (SELECT objid FROM pg_depend WHERE deptype = 'e'),
    rels AS (
      SELECT c.* FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'm', 'v') AND NOT c.relispartition
        AND c.oid NOT IN (SELECT objid FROM ext))
    SELECT 'rel|' || r.relname || '|' || r.relkind::text || '|' || COALESCE(pg_get_partkeydef(r.oid), '') AS line
    FROM rels r
    UNION ALL
    SELECT 'part|' || p.relname || '|' || pg_get_expr(c.relpartbound, c.oid) || '|' || c.relname
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN rels p ON p.oid = i.inhparent
    UNION ALL
    SELECT 'col|' || r.relname || '|' || a.attnum || '|' || a.attname || '|' || format_type(a.atttypid, a.atttypmod)
      || '|' || CASE WHEN a.attnotnull THEN 't' ELSE 'f' END || '|' || COALESCE(pg_get_expr(d.adbin, d.adrelid), '')
      || '|' || a.attgenerated::text
    FROM rels r JOIN pg_attribute a ON a.attrelid = r.oid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT 'fn|' || p.proname || '|' || pg_get_function_identity_arguments(p.oid) || '|' || pg_get_function_result(p.oid)
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'public' AND p.oid NOT IN (SELECT objid FROM ext)`;
  return sortFacts(rows.map((r) => r.line));
}
