/** `bigbrotr db init | verify`: apply a deployment's init SQL, and check a database has what the services need. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type postgres from 'postgres';
import { EXPECTED_EXTENSIONS, EXPECTED_FUNCTIONS, EXPECTED_TABLES } from './expected-schema.js';
import { STATISTICS_VIEWS } from './maintenance.js';

/** Apply every `*.sql` file of `initDir` in file-name order. The files are idempotent. Returns the files applied. */
export async function initDatabase(sql: postgres.Sql, initDir: string): Promise<string[]> {
  const files = (await readdir(initDir)).filter((f) => f.endsWith('.sql')).sort();
  for (const file of files) {
    // Trusted files of the deployment, run as a multi-statement script: the one place SQL text is not a template.
    await sql.unsafe(await readFile(join(initDir, file), 'utf8')).simple();
  }
  return files;
}

/** The result of a verification: what is missing or different, named so an operator can act on it. */
export interface VerifyResult {
  readonly ok: boolean;
  readonly missing: string[];
}

/** Check extensions, tables and columns, stored functions with their signatures, and the statistics views. */
export async function verifyDatabase(sql: postgres.Sql): Promise<VerifyResult> {
  const missing: string[] = [];
  const extensions = new Set(
    (await sql<{ extname: string }[]>`SELECT extname FROM pg_extension`).map((r) => r.extname),
  );
  for (const ext of EXPECTED_EXTENSIONS) if (!extensions.has(ext)) missing.push(`extension ${ext}`);

  const columns = await sql<{ table_name: string; column_name: string; type: string }[]>`
    SELECT c.relname AS table_name, a.attname AS column_name, format_type(a.atttypid, a.atttypmod) AS type
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND a.attnum > 0 AND NOT a.attisdropped
      AND c.relname = ANY(${Object.keys(EXPECTED_TABLES)}::text[])`;
  const have = new Map(columns.map((c) => [`${c.table_name}.${c.column_name}`, c.type]));
  for (const [table, cols] of Object.entries(EXPECTED_TABLES)) {
    if (!columns.some((c) => c.table_name === table)) {
      missing.push(`table ${table}`);
      continue;
    }
    for (const [col, type] of Object.entries(cols)) {
      const actual = have.get(`${table}.${col}`);
      if (actual === undefined) missing.push(`column ${table}.${col}`);
      else if (actual !== type) missing.push(`column ${table}.${col} of type ${type} (found ${actual})`);
    }
  }

  const functions = await sql<{ signature: string; result: string }[]>`
    SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS signature,
           pg_get_function_result(p.oid) AS result
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'`;
  const fn = new Map(functions.map((f) => [normalizeSignature(f.signature), f.result]));
  const expectedFunctions: [string, string][] = [
    ...Object.entries(EXPECTED_FUNCTIONS),
    ...STATISTICS_VIEWS.map((v): [string, string] => [`${v}_refresh()`, 'void']),
  ];
  for (const [signature, result] of expectedFunctions) {
    const actual = fn.get(normalizeSignature(signature));
    if (actual === undefined) missing.push(`function ${signature}`);
    else if (actual !== result) missing.push(`function ${signature} returning ${result} (found ${actual})`);
  }

  const views = new Set(
    (await sql<{ matviewname: string }[]>`SELECT matviewname FROM pg_matviews WHERE schemaname = 'public'`).map(
      (r) => r.matviewname,
    ),
  );
  for (const v of STATISTICS_VIEWS) if (!views.has(v)) missing.push(`materialized view ${v}`);
  return { ok: missing.length === 0, missing };
}

/** `f(p_a text[], p_b integer)` and `f(text[], integer)` compare equal: keep only the types. */
function normalizeSignature(signature: string): string {
  const open = signature.indexOf('(');
  const name = signature.slice(0, open);
  const args = signature
    .slice(open + 1, -1)
    .split(',')
    .map((a) => a.trim().replace(/\s+DEFAULT\s+.*$/i, ''))
    .filter((a) => a !== '')
    .map((a) => {
      const parts = a.split(/\s+/);
      // "p_urls text[]" → "text[]"; multi-word types ("character varying") keep their words.
      return parts.length > 1 && /^p_|^[a-z_]+$/.test(parts[0] ?? '') && !isTypeWord(parts[0] ?? '')
        ? parts.slice(1).join(' ')
        : a;
    });
  return `${name}(${args.join(', ')})`;
}

function isTypeWord(word: string): boolean {
  return ['character', 'double', 'timestamp', 'time', 'bit'].includes(word);
}
