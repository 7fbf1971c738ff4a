/**
 * Column values in and out of the table API: a filter value is checked and converted by its column's type
 * BEFORE any query (so a wrong-typed value is a 400, never a database error), and a row is made JSON-safe
 * (bytea → lowercase hex, bigint → number when it is exact, numeric → number).
 */
import type postgres from 'postgres';
import type { ColumnInfo } from './catalog.js';

/** How the API treats a column type. */
export type ValueClass =
  | 'int'
  | 'numeric'
  | 'bool'
  | 'text'
  | 'bytea'
  | 'jsonb'
  | 'json'
  | 'datetime'
  | 'text-array'
  | 'other';

const INT_RANGE: Readonly<Record<string, readonly [bigint, bigint]>> = {
  smallint: [-32768n, 32767n],
  integer: [-2147483648n, 2147483647n],
  bigint: [-9223372036854775808n, 9223372036854775807n],
};
const TEXT_TYPES = new Set(['text', 'character varying', 'character', 'name', 'citext', '"char"']);
const NUMERIC_TYPES = new Set(['numeric', 'real', 'double precision']);
const DATETIME_TYPES = new Set(['date', 'timestamp without time zone', 'timestamp with time zone']);
/** The longest filter value accepted (characters). */
export const MAX_VALUE_LENGTH = 4096;

/** Classify a PostgreSQL type name as `format_type` spells it. */
export function classifyType(type: string): ValueClass {
  if (type in INT_RANGE) return 'int';
  if (NUMERIC_TYPES.has(type)) return 'numeric';
  if (type === 'boolean') return 'bool';
  if (TEXT_TYPES.has(type)) return 'text';
  if (type === 'bytea') return 'bytea';
  if (type === 'jsonb') return 'jsonb';
  if (type === 'json') return 'json';
  if (DATETIME_TYPES.has(type)) return 'datetime';
  if (type.endsWith('[]') && TEXT_TYPES.has(type.slice(0, -2))) return 'text-array';
  return 'other';
}

/** Whether ILIKE applies to a column. */
export function isTextLike(col: ColumnInfo): boolean {
  return classifyType(col.type) === 'text';
}

/** Whether a column can be ordered by (json has no ordering operator). */
export function isSortable(col: ColumnInfo): boolean {
  return classifyType(col.type) !== 'json';
}

/**
 * A filter value in the JS type postgres.js serializes for the column's type (it describes each statement
 * and serializes parameters by the types the server infers): text for numbers and text, `boolean`, `Buffer`
 * for bytea, `{ json }` for jsonb (bound with `sql.json`), and ISO-parsable text for dates and timestamps.
 */
export type FilterValue = string | boolean | Buffer | { readonly json: postgres.JSONValue };

/** A converted filter value, ready to bind as a query parameter; or why the raw text is not one. */
export type ParsedValue =
  | { readonly ok: true; readonly value: FilterValue }
  | { readonly ok: false; readonly why: string };

const INTEGER = /^[-+]?\d{1,20}$/;
const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d{1,4})?$/;
const HEX = /^(?:[0-9a-fA-F]{2})*$/;
const BOOLS: Readonly<Record<string, boolean>> = { true: true, false: false, t: true, f: false, 1: true, 0: false };

/** Check and convert the raw text of a filter value for a column. */
export function parseValue(col: ColumnInfo, raw: string): ParsedValue {
  if (raw.length > MAX_VALUE_LENGTH) return bad(`longer than ${MAX_VALUE_LENGTH} characters`);
  switch (classifyType(col.type)) {
    case 'int':
      return parseInteger(col.type, raw);
    case 'numeric':
      return DECIMAL.test(raw) ? good(raw) : bad(`expected a number for ${col.type}`);
    case 'bool': {
      const b = BOOLS[raw.toLowerCase()];
      return b === undefined ? bad('expected true or false') : good(b);
    }
    case 'bytea':
      return HEX.test(raw) ? good(Buffer.from(raw, 'hex')) : bad('expected an even-length hexadecimal string');
    case 'jsonb':
      return parseJson(raw);
    case 'datetime':
      // why: postgres.js turns date parameters into JS Dates; an unparsable one would throw in the client
      return Number.isNaN(Date.parse(raw)) ? bad(`expected an ISO 8601 date or time for ${col.type}`) : good(raw);
    case 'json':
      return bad('json columns cannot be filtered (use jsonb)');
    default:
      // text, text arrays (element), and other types the server parses itself (timestamps, uuid, inet, …)
      return raw.includes('\0') ? bad('contains a NUL character') : good(raw);
  }
}

function parseInteger(type: string, raw: string): ParsedValue {
  const range = INT_RANGE[type];
  if (!INTEGER.test(raw) || !range) return bad(`expected an integer for ${type}`);
  const n = BigInt(raw);
  return n < range[0] || n > range[1] ? bad(`out of range for ${type}`) : good(n.toString());
}

function parseJson(raw: string): ParsedValue {
  try {
    return good({ json: JSON.parse(raw) as postgres.JSONValue });
  } catch {
    return bad('expected a JSON value');
  }
}

const good = (value: FilterValue): ParsedValue => ({ ok: true, value });
const bad = (why: string): ParsedValue => ({ ok: false, why });

/** Make one database row JSON-safe, given the relation's columns. */
export function toJsonRow(row: Record<string, unknown>, columns: readonly ColumnInfo[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const col of columns) out[col.name] = toJsonValue(row[col.name], col.type);
  return out;
}

function toJsonValue(v: unknown, type: string): unknown {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return v.toString('hex');
  if (Array.isArray(v)) return v.map((x) => toJsonValue(x, type.replace(/\[\]$/, '')));
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (typeof v === 'string' && (type === 'bigint' || type === 'numeric')) {
    const n = Number(v);
    // why: a bigint beyond 2^53 stays a string so it is never silently rounded
    if (type === 'bigint') return Number.isSafeInteger(n) ? n : v;
    return Number.isFinite(n) ? n : v;
  }
  return v;
}
