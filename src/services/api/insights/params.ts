/**
 * Strict reading of the insight endpoints' query parameters: each name at most once, only known names, no NUL
 * bytes, bounded lengths. A client's mistake is data (`Parsed` with a 400 error), never an exception.
 */

/** A client error: always answered as 400 `{"error": {code, message}}`. */
export interface ParamError {
  readonly code: string;
  readonly message: string;
}

/** A parsed value, or why the client's input was refused. */
export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ParamError };

/** Page size policy of the API (api.yaml `default_page_size` / `max_page_size`). */
export interface PageOpts {
  readonly defaultPageSize: number;
  readonly maxPageSize: number;
}

/** The deepest offset accepted (deeper pages are refused: filter instead). */
export const MAX_OFFSET = 10_000_000;

/** The longest single parameter value accepted (Node refuses request heads over 16 KiB anyway). */
export const MAX_VALUE_LENGTH = 16_000;

/** A successful parse. */
export function good<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

/** A refused parse. */
export function bad(code: string, message: string): Parsed<never> {
  return { ok: false, error: { code, message } };
}

/** Shorten a client-supplied string for an error message. */
export function clip(s: string, max = 64): string {
  return JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);
}

/** The query parameters of `url`, each given at most once and accepted by `known`. */
export function readParams(url: string, known: (name: string) => boolean): Parsed<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [key, value] of new URL(url).searchParams) {
    if (!known(key)) return bad('unknown_parameter', `unknown query parameter ${clip(key)}`);
    if (out.has(key)) return bad('repeated_parameter', `query parameter ${clip(key)} given more than once`);
    if (value.includes('\0')) return bad('invalid_parameter', `query parameter ${clip(key)} contains a NUL byte`);
    if (value.length > MAX_VALUE_LENGTH)
      return bad('invalid_parameter', `query parameter ${clip(key)} is longer than ${MAX_VALUE_LENGTH} characters`);
    out.set(key, value);
  }
  return good(out);
}

/** An integer in [min, max] written in decimal digits (a leading `-` only when min < 0); `dflt` when absent. */
export function parseInteger(
  raw: string | undefined,
  name: string,
  range: { readonly min: number; readonly max: number; readonly dflt: number },
): Parsed<number> {
  if (raw === undefined) return good(range.dflt);
  if (!/^-?\d{1,20}$/.test(raw) || (raw.startsWith('-') && range.min >= 0))
    return bad(`invalid_${name}`, `${name} must be an integer between ${range.min} and ${range.max}`);
  const n = Number(raw);
  if (n < range.min || n > range.max)
    return bad(`invalid_${name}`, `${name} must be an integer between ${range.min} and ${range.max}`);
  return good(n);
}

/** `limit` (clamped to the maximum page size, like the table API) and `offset` (refused past MAX_OFFSET). */
export function parsePage(
  params: ReadonlyMap<string, string>,
  page: PageOpts,
): Parsed<{ readonly limit: number; readonly offset: number }> {
  const limit = parseInteger(params.get('limit'), 'limit', {
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    dflt: page.defaultPageSize,
  });
  if (!limit.ok) return limit;
  const offset = parseInteger(params.get('offset'), 'offset', { min: 0, max: MAX_OFFSET, dflt: 0 });
  if (!offset.ok) return offset;
  return good({ limit: Math.min(limit.value, page.maxPageSize), offset: offset.value });
}

/** `sort=field[:asc|desc]` against a fixed list of fields. */
export function parseSort<F extends string>(
  raw: string | undefined,
  fields: readonly F[],
  dflt: { readonly field: F; readonly desc: boolean },
): Parsed<{ readonly field: F; readonly desc: boolean }> {
  if (raw === undefined) return good(dflt);
  const [field, dir, extra] = raw.split(':');
  const known = fields.find((f) => f === field);
  if (known === undefined || extra !== undefined)
    return bad('invalid_sort', `sort must be one of ${fields.join(', ')}, optionally followed by :asc or :desc`);
  if (dir !== undefined && dir !== 'asc' && dir !== 'desc')
    return bad('invalid_sort', 'the sort direction must be asc or desc');
  return good({ field: known, desc: dir === 'desc' });
}

/** A free-text parameter: trimmed, 1–`max` characters, or undefined when absent or empty. */
export function parseText(raw: string | undefined, name: string, max: number): Parsed<string | undefined> {
  if (raw === undefined) return good(undefined);
  const text = raw.trim();
  if (text === '') return good(undefined);
  if (text.length > max) return bad(`invalid_${name}`, `${name} must be at most ${max} characters`);
  return good(text);
}

/** Comma-separated items (1–`max` of them, none empty). */
export function parseList(raw: string, name: string, max: number): Parsed<string[]> {
  const items = raw.split(',');
  if (items.some((i) => i === ''))
    return bad(`invalid_${name}`, `${name} must be a comma-separated list without empty items`);
  if (items.length > max) return bad(`invalid_${name}`, `${name} may list at most ${max} values`);
  return good(items);
}
