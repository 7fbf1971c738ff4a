/** NIP-01 filters: the type, strict parsing of untrusted filters, and matching (nostr-tools' `matchFilter`). */
import { matchFilter as ntMatchFilter } from 'nostr-tools/filter';
import type { NostrEvent } from '../../models/event.js';
import { fail, ok, type Result } from '../../models/result.js';

/** A NIP-01 filter. `#x` keys hold tag values; since/until are inclusive; limit asks for the newest events. */
export interface Filter {
  ids?: string[];
  authors?: string[];
  kinds?: number[];
  since?: number;
  until?: number;
  limit?: number;
  search?: string;
  [tag: `#${string}`]: string[] | undefined;
}

const HEX64 = /^[0-9a-f]{64}$/;
const TAG_KEY = /^#[A-Za-z]$/;

function isIntIn(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

function isStrings(v: unknown, re?: RegExp): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string' && (!re || re.test(x)));
}

/** How strictly to parse: a relay ignores multi-letter tag keys (NIP-01 defines only `#x`), a client rejects them. */
export interface FilterParseOpts {
  readonly ignoreLongTagKeys?: boolean;
}

const LONG_TAG_KEY = /^#../;

/** Parse an untrusted filter object; every field is checked, unknown keys are rejected. */
export function parseFilter(value: unknown, opts: FilterParseOpts = {}): Result<Filter, 'invalid'> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return fail('invalid', 'filter: not an object');
  const out: Filter = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === 'ids' || key === 'authors') {
      if (!isStrings(v, HEX64)) return fail('invalid', `filter: ${key} must be 64-char lower-case hex strings`);
      out[key] = v;
    } else if (key === 'kinds') {
      if (!Array.isArray(v) || !v.every((k) => isIntIn(k, 0, 65535))) return fail('invalid', 'filter: bad kinds');
      out.kinds = v as number[];
    } else if (key === 'since' || key === 'until' || key === 'limit') {
      if (!isIntIn(v, 0, Number.MAX_SAFE_INTEGER))
        return fail('invalid', `filter: ${key} must be a non-negative integer`);
      out[key] = v;
    } else if (key === 'search') {
      if (typeof v !== 'string') return fail('invalid', 'filter: search must be a string');
      out.search = v;
    } else if (TAG_KEY.test(key)) {
      if (!isStrings(v)) return fail('invalid', `filter: ${key} must be strings`);
      out[key as `#${string}`] = v;
    } else if (opts.ignoreLongTagKeys === true && LONG_TAG_KEY.test(key)) {
      // NIP-01: tag filters exist for single-letter names only; others are ignored, not an error
    } else {
      return fail('invalid', `filter: unknown key ${JSON.stringify(key.slice(0, 40))}`);
    }
  }
  return ok(out);
}

/** Whether an event matches a filter (ids, authors, kinds, `#x` tags, inclusive since/until; limit is not a match criterion). */
export function matchFilter(filter: Filter, event: NostrEvent): boolean {
  // nostr-tools treats since/until 0 as absent; 0 is a real bound for us.
  if (filter.since !== undefined && event.created_at < filter.since) return false;
  if (filter.until !== undefined && event.created_at > filter.until) return false;
  // nostr-tools only reads the event; its type is merely not readonly.
  return ntMatchFilter(filter, event as unknown as Parameters<typeof ntMatchFilter>[1]);
}

/** Whether an event matches any of the filters. */
export function matchFilters(filters: readonly Filter[], event: NostrEvent): boolean {
  return filters.some((f) => matchFilter(f, event));
}
