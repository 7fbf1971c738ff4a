/**
 * Reading a NIP-90 job request (https://github.com/nostr-protocol/nips/blob/master/90.md): who it is for,
 * whether it is still wanted, and its `param` and `bid` tags. Untrusted input: every tag is checked, sizes are
 * bounded, and problems become a machine code plus a short message for the kind 7000 feedback.
 */

import { clip } from '../../core/tables/query.js';
import type { NostrEvent } from '../../models/event.js';
import { isOneOf } from '../../models/one-of.js';
import { type Checked, refuse } from '../../models/result.js';

/** The parameters a job request may carry as `["param", key, value]`. */
export const PARAM_KEYS = ['table', 'limit', 'offset', 'filter', 'sort'] as const;

/** One parameter name. */
export type ParamKey = (typeof PARAM_KEYS)[number];

/** Longest accepted `param` value (the filter string), in characters. */
export const MAX_PARAM_LENGTH = 8192;

/** Most `param` tags one request may carry. */
export const MAX_PARAMS = 32;

/** A request's parameters, as text. */
export interface JobParams {
  readonly table: string;
  readonly limit?: string;
  readonly offset?: string;
  readonly filter?: string;
  readonly sort?: string;
}

/** A checked job request. */
export interface JobRequest {
  readonly event: NostrEvent;
  readonly params: JobParams;
  /** The customer's bid in millisats, when it made one. */
  readonly bid?: number;
}

/** The outcome of reading a request: the request, or why it cannot be served (a code and a message for the customer). */
export type JobParse = Checked<JobRequest>;

const isParamKey = (k: string): k is ParamKey => isOneOf(PARAM_KEYS, k);

/**
 * Whether the request is for someone else: it names providers with `p` tags and `pubkey` is not one of them.
 * A request with no `p` tag is open to every provider.
 */
export function isAddressedElsewhere(event: NostrEvent, pubkey: string): boolean {
  const named = event.tags.filter((t) => t[0] === 'p' && typeof t[1] === 'string').map((t) => t[1]);
  return named.length > 0 && !named.includes(pubkey);
}

/** Whether a NIP-40 `expiration` tag says the request is no longer wanted at `now` (seconds). */
export function isExpired(event: NostrEvent, now: number): boolean {
  const tag = event.tags.find((t) => t[0] === 'expiration');
  if (!tag || tag[1] === undefined || !/^\d{1,15}$/.test(tag[1])) return false;
  return Number(tag[1]) <= now;
}

/** Read the `param`, `bid` and `encrypted` tags of a job request. */
export function parseJobRequest(event: NostrEvent): JobParse {
  if (event.tags.some((t) => t[0] === 'encrypted')) {
    return refuse('encrypted_unsupported', 'encrypted job requests are not supported; send the params in clear');
  }
  const tags = event.tags.filter((t) => t[0] === 'param');
  if (tags.length > MAX_PARAMS) return refuse('too_many_params', `at most ${MAX_PARAMS} param tags`);
  const params = new Map<ParamKey, string>();
  for (const [, key, value] of tags) {
    if (key === undefined || value === undefined)
      return refuse('invalid_param', 'a param tag is ["param", key, value]');
    if (!isParamKey(key)) {
      return refuse('unknown_param', `unknown param "${clip(key)}"; expected one of ${PARAM_KEYS.join(', ')}`);
    }
    if (params.has(key)) return refuse('repeated_param', `param "${key}" given more than once`);
    if (value.length > MAX_PARAM_LENGTH)
      return refuse('invalid_param', `param "${key}" is longer than ${MAX_PARAM_LENGTH}`);
    params.set(key, value);
  }
  const table = params.get('table');
  if (table === undefined || table === '') return refuse('missing_table', 'the "table" param is required');
  const bid = parseBid(event);
  if (bid === 'invalid') return refuse('invalid_bid', 'bid must be ["bid", "<millisats>"] with a non-negative integer');
  const rest = Object.fromEntries([...params].filter(([k]) => k !== 'table')) as Omit<JobParams, 'table'>;
  return { ok: true, value: { event, params: { table, ...rest }, ...(bid === undefined ? {} : { bid }) } };
}

function parseBid(event: NostrEvent): number | undefined | 'invalid' {
  const bids = event.tags.filter((t) => t[0] === 'bid');
  if (bids.length === 0) return undefined;
  const raw = bids[0]?.[1];
  if (bids.length > 1 || raw === undefined || !/^\d{1,16}$/.test(raw)) return 'invalid';
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : 'invalid';
}
