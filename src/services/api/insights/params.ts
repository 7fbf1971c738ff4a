/**
 * Strict reading of the insight endpoints' query parameters: each name at most once, only known names, no NUL
 * bytes, bounded lengths. A client's mistake is data (a `Checked` refusal, answered 400), never an exception.
 */
import { clip, MAX_OFFSET, type PageOpts } from '../../../core/tables/query.js';
import { type Checked, ok, refuse } from '../../../models/result.js';

/** The longest single parameter value accepted (Node refuses request heads over 16 KiB anyway). */
export const MAX_VALUE_LENGTH = 16_000;

/** A client-supplied string, shortened and quoted for an error message. */
const quoted = (s: string): string => JSON.stringify(clip(s));

/** The query parameters of `url`, each given at most once and accepted by `known`. */
export function readParams(url: string, known: (name: string) => boolean): Checked<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [key, value] of new URL(url).searchParams) {
    if (!known(key)) return refuse('unknown_parameter', `unknown query parameter ${quoted(key)}`);
    if (out.has(key)) return refuse('repeated_parameter', `query parameter ${quoted(key)} given more than once`);
    if (value.includes('\0')) return refuse('invalid_parameter', `query parameter ${quoted(key)} contains a NUL byte`);
    if (value.length > MAX_VALUE_LENGTH)
      return refuse(
        'invalid_parameter',
        `query parameter ${quoted(key)} is longer than ${MAX_VALUE_LENGTH} characters`,
      );
    out.set(key, value);
  }
  return ok(out);
}

/** An integer in [min, max] written in decimal digits (a leading `-` only when min < 0); `dflt` when absent. */
export function parseInteger(
  raw: string | undefined,
  name: string,
  range: { readonly min: number; readonly max: number; readonly dflt: number },
): Checked<number> {
  if (raw === undefined) return ok(range.dflt);
  if (!/^-?\d{1,20}$/.test(raw) || (raw.startsWith('-') && range.min >= 0))
    return refuse(`invalid_${name}`, `${name} must be an integer between ${range.min} and ${range.max}`);
  const n = Number(raw);
  if (n < range.min || n > range.max)
    return refuse(`invalid_${name}`, `${name} must be an integer between ${range.min} and ${range.max}`);
  return ok(n);
}

/** `limit` (clamped to the maximum page size, like the table API) and `offset` (refused past MAX_OFFSET). */
export function parsePage(
  params: ReadonlyMap<string, string>,
  page: PageOpts,
): Checked<{ readonly limit: number; readonly offset: number }> {
  const limit = parseInteger(params.get('limit'), 'limit', {
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    dflt: page.defaultPageSize,
  });
  if (!limit.ok) return limit;
  const offset = parseInteger(params.get('offset'), 'offset', { min: 0, max: MAX_OFFSET, dflt: 0 });
  if (!offset.ok) return offset;
  return ok({ limit: Math.min(limit.value, page.maxPageSize), offset: offset.value });
}

/** `sort=field[:asc|desc]` against a fixed list of fields. */
export function parseSort<F extends string>(
  raw: string | undefined,
  fields: readonly F[],
  dflt: { readonly field: F; readonly desc: boolean },
): Checked<{ readonly field: F; readonly desc: boolean }> {
  if (raw === undefined) return ok(dflt);
  const [field, dir, extra] = raw.split(':');
  const known = fields.find((f) => f === field);
  if (known === undefined || extra !== undefined)
    return refuse('invalid_sort', `sort must be one of ${fields.join(', ')}, optionally followed by :asc or :desc`);
  if (dir !== undefined && dir !== 'asc' && dir !== 'desc')
    return refuse('invalid_sort', 'the sort direction must be asc or desc');
  return ok({ field: known, desc: dir === 'desc' });
}

/** A free-text parameter: trimmed, 1–`max` characters, or undefined when absent or empty. */
export function parseText(raw: string | undefined, name: string, max: number): Checked<string | undefined> {
  if (raw === undefined) return ok(undefined);
  const text = raw.trim();
  if (text === '') return ok(undefined);
  if (text.length > max) return refuse(`invalid_${name}`, `${name} must be at most ${max} characters`);
  return ok(text);
}

/** Comma-separated items (1–`max` of them, none empty). */
export function parseList(raw: string, name: string, max: number): Checked<string[]> {
  const items = raw.split(',');
  if (items.some((i) => i === ''))
    return refuse(`invalid_${name}`, `${name} must be a comma-separated list without empty items`);
  if (items.length > max) return refuse(`invalid_${name}`, `${name} may list at most ${max} values`);
  return ok(items);
}
