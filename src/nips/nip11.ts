/** NIP-11 relay information documents: fetch over HTTP(S) and lenient, field-by-field parsing. See NIP-11. */
import { z } from 'zod';
import { fail, ok } from '../models/result.js';
import { type FetchBoundedOpts, fetchBounded } from '../utils/http.js';
import type { ProbeResult } from '../utils/net/reasons.js';

type Shape = Record<string, z.ZodType>;
type Picked<S extends Shape> = { [K in keyof S]?: z.output<S[K]> };

const uint = z.int().nonnegative();
const hex64 = z.string().regex(/^[0-9a-f]{64}$/);

/** Keep the fields of `input` that pass their schema; drop the rest and every unknown field. */
function pickValid<S extends Shape>(shape: S, input: Record<string, unknown>): Picked<S> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(shape)) {
    const parsed = shape[key]?.safeParse(input[key]);
    if (parsed?.success && parsed.data !== undefined) out[key] = parsed.data;
  }
  return out as Picked<S>; // every value came out of its own schema
}

/** An object whose fields are each parsed on their own. */
const lenientObject = <S extends Shape>(shape: S) => z.looseObject({}).transform((o) => pickValid(shape, o));

/** An array whose bad elements are dropped one by one. */
const lenientArray = <T>(item: z.ZodType<T>) =>
  z.array(z.unknown()).transform((items) =>
    items.flatMap((i) => {
      const parsed = item.safeParse(i);
      return parsed.success ? [parsed.data] : [];
    }),
  );

const limitationShape = {
  max_message_length: uint,
  max_subscriptions: uint,
  max_limit: uint,
  max_subid_length: uint,
  max_event_tags: uint,
  max_content_length: uint,
  min_pow_difficulty: uint,
  created_at_lower_limit: uint,
  created_at_upper_limit: uint,
  default_limit: uint,
  auth_required: z.boolean(),
  payment_required: z.boolean(),
  restricted_writes: z.boolean(),
};

const retentionRule = z.object({
  kinds: z.array(z.union([uint, z.tuple([uint, uint])])).optional(),
  time: uint.nullable().optional(),
  count: uint.optional(),
});

const fee = z.object({
  amount: uint,
  unit: z.string(),
  period: uint.optional(),
  kinds: z.array(uint).optional(),
});

const relayInfoShape = {
  name: z.string(),
  description: z.string(),
  banner: z.string(),
  icon: z.string(),
  pubkey: hex64,
  self: hex64,
  contact: z.string(),
  software: z.string(),
  version: z.string(),
  privacy_policy: z.string(),
  terms_of_service: z.string(),
  posting_policy: z.string(),
  payments_url: z.string(),
  supported_nips: lenientArray(uint).transform((nips) => [...new Set(nips)].sort((a, b) => a - b)),
  limitation: lenientObject(limitationShape),
  retention: lenientArray(retentionRule),
  fees: lenientObject({
    admission: lenientArray(fee),
    subscription: lenientArray(fee),
    publication: lenientArray(fee),
  }),
  relay_countries: lenientArray(z.string()),
  language_tags: lenientArray(z.string()),
  tags: lenientArray(z.string()),
  attributes: lenientArray(z.string()),
};

/** A parsed NIP-11 document: every field optional, wire names kept. */
export type RelayInfo = Readonly<Picked<typeof relayInfoShape>>;

/** Server limits advertised in a NIP-11 document. */
export type RelayLimitation = NonNullable<RelayInfo['limitation']>;

/** Options of `fetchRelayInfo`. */
export type FetchRelayInfoOpts = Omit<FetchBoundedOpts, 'accept' | 'maxBytes'> & { readonly maxBytes?: number };

const JSON_TYPES = new Set(['application/nostr+json', 'application/json']);

/** Parse a NIP-11 document leniently: a bad field is dropped, the others kept, unknown fields ignored. */
export function parseRelayInfo(value: unknown): RelayInfo {
  const doc = z.looseObject({}).safeParse(value);
  return doc.success ? pickValid(relayInfoShape, doc.data) : {};
}

/** The HTTP(S) URL of a relay's information document (ws→http, wss→https), or undefined for another scheme. */
export function relayInfoUrl(relayUrl: string): string | undefined {
  if (!URL.canParse(relayUrl)) return undefined;
  const href = new URL(relayUrl).href;
  if (href.startsWith('ws://')) return `http://${href.slice(5)}`;
  if (href.startsWith('wss://')) return `https://${href.slice(6)}`;
  return undefined;
}

/** Fetch and parse a relay's NIP-11 document; HTTP, content-type, size and JSON problems are reasons. */
export async function fetchRelayInfo(relayUrl: string, opts: FetchRelayInfoOpts = {}): Promise<ProbeResult<RelayInfo>> {
  const url = relayInfoUrl(relayUrl);
  if (url === undefined) return fail('invalid', `not a ws(s) relay url: ${relayUrl}`);
  const res = await fetchBounded(url, { ...opts, accept: 'application/nostr+json', maxBytes: opts.maxBytes ?? 65_536 });
  if (!res.ok) return res;
  const { status, headers, body } = res.value;
  if (status !== 200) return fail('http', `status ${status}`);
  const type = (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!JSON_TYPES.has(type)) return fail('not-nostr', `content type ${type || 'missing'}`);
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (err) {
    return fail('invalid', `bad JSON: ${(err as Error).message}`);
  }
  if (!z.looseObject({}).safeParse(json).success) return fail('invalid', 'document is not a JSON object');
  return ok(parseRelayInfo(json));
}
