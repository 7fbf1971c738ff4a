/** NIP-01 (and NIP-42/45/77) messages: strict parsing of what relays and clients send. */
import { checkEventShape, type EventId, type NostrEvent } from '../../models/event.js';
import { fail, ok, type Result } from '../../models/result.js';
import type { ProbeReason } from '../../utils/net/reasons.js';
import { type Filter, type FilterParseOpts, parseFilter } from './filter.js';

/** A message from a relay to a client. */
export type RelayMessage =
  | { readonly type: 'EVENT'; readonly subId: string; readonly event: NostrEvent }
  | { readonly type: 'OK'; readonly eventId: EventId; readonly accepted: boolean; readonly message: string }
  | { readonly type: 'EOSE'; readonly subId: string }
  | { readonly type: 'CLOSED'; readonly subId: string; readonly message: string }
  | { readonly type: 'NOTICE'; readonly message: string }
  | { readonly type: 'AUTH'; readonly challenge: string }
  | { readonly type: 'COUNT'; readonly subId: string; readonly count: number; readonly approximate: boolean }
  | { readonly type: 'NEG-MSG'; readonly subId: string; readonly message: string }
  | { readonly type: 'NEG-ERR'; readonly subId: string; readonly message: string };

/** A message from a client to a relay. */
export type ClientMessage =
  | { readonly type: 'EVENT'; readonly event: NostrEvent }
  | { readonly type: 'REQ'; readonly subId: string; readonly filters: readonly Filter[] }
  | { readonly type: 'COUNT'; readonly subId: string; readonly filters: readonly Filter[] }
  | { readonly type: 'CLOSE'; readonly subId: string }
  | { readonly type: 'AUTH'; readonly event: NostrEvent }
  | { readonly type: 'NEG-OPEN'; readonly subId: string; readonly filter: Filter; readonly message: string }
  | { readonly type: 'NEG-MSG'; readonly subId: string; readonly message: string }
  | { readonly type: 'NEG-CLOSE'; readonly subId: string };

/** Machine-readable prefixes of OK and CLOSED messages (NIP-01, NIP-42). */
const MESSAGE_PREFIXES = [
  'duplicate',
  'pow',
  'blocked',
  'rate-limited',
  'invalid',
  'restricted',
  'auth-required',
  'error',
  'mute',
] as const;

/** One machine-readable prefix. */
export type MessagePrefix = (typeof MESSAGE_PREFIXES)[number];

const PREFIXES = new Set<string>(MESSAGE_PREFIXES);
const LEADING_WORD = /^\s*([A-Za-z][A-Za-z-]*):/;
const HEX = /^[0-9a-f]*$/;
const HEX64 = /^[0-9a-f]{64}$/;
const MAX_SUBID = 256;

/**
 * The machine-readable prefix of an OK/CLOSED/NOTICE message (`"pow: difficulty 20"` → `pow`), if it has a known
 * one. Real relays decorate it: strfry sends every CLOSED reason as `ERROR: auth-required: …`, others write the
 * prefix in capitals. So up to three leading `word:` segments are read, case-insensitively, and the first known
 * prefix other than the generic `error` wins (`error` only when no other follows).
 */
export function messagePrefix(message: string): MessagePrefix | undefined {
  let generic: MessagePrefix | undefined;
  let rest = message;
  for (let i = 0; i < 3; i += 1) {
    const m = LEADING_WORD.exec(rest);
    if (!m) break;
    const word = (m[1] as string).toLowerCase();
    if (PREFIXES.has(word)) {
      if (word !== 'error') return word as MessagePrefix;
      generic = 'error';
    }
    rest = rest.slice(m[0].length);
  }
  return generic;
}

/** The probe reason a refusal (CLOSED, OK false, NEG-ERR) stands for, from its prefix and wording. */
export function reasonOfRefusal(message: string): ProbeReason {
  const prefix = messagePrefix(message);
  if (prefix === 'auth-required') return 'auth-required';
  if (prefix === 'rate-limited') return 'rate-limited';
  if (/\b(pay|paid|payment|paying)\b/i.test(message)) return 'payment-required';
  if (prefix === 'blocked' || prefix === 'restricted' || prefix === 'mute') return 'refused';
  return 'invalid';
}

type Parsed<T> = Result<T, 'invalid'>;

function parseArray(text: string): Parsed<unknown[]> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return fail('invalid', 'not JSON');
  }
  if (!Array.isArray(v) || typeof v[0] !== 'string') return fail('invalid', 'not a JSON array starting with a string');
  return ok(v);
}

const isSubId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_SUBID;
const isStr = (v: unknown): v is string => typeof v === 'string';
// a negentropy message holds at least its version byte
const isHex = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length % 2 === 0 && HEX.test(v);

function arity(m: unknown[], n: number, label: string): string | undefined {
  return m.length === n ? undefined : `${label} needs ${n - 1} arguments, got ${m.length - 1}`;
}

/** Parse one relay → client frame. Anything unexpected (shape, types, arity, unknown type) is `invalid`. */
export function parseRelayMessage(text: string): Parsed<RelayMessage> {
  const arr = parseArray(text);
  if (!arr.ok) return arr;
  const m = arr.value;
  const [type, a, b, c] = m;
  switch (type) {
    case 'EVENT': {
      if (m.length !== 3 || !isSubId(a)) return fail('invalid', 'EVENT needs a subscription id and an event');
      const shape = checkEventShape(b);
      return shape.ok ? ok({ type, subId: a, event: shape.value }) : fail('invalid', `EVENT: ${shape.detail}`);
    }
    case 'OK':
      if (m.length !== 4 || !isStr(a) || !HEX64.test(a) || typeof b !== 'boolean' || !isStr(c)) {
        return fail('invalid', 'OK needs an event id, a boolean and a message');
      }
      return ok({ type, eventId: a as EventId, accepted: b, message: c });
    case 'EOSE':
      return m.length === 2 && isSubId(a) ? ok({ type, subId: a }) : fail('invalid', 'EOSE needs a subscription id');
    case 'CLOSED':
      if (m.length !== 3 || !isSubId(a) || !isStr(b))
        return fail('invalid', 'CLOSED needs a subscription id and a message');
      return ok({ type, subId: a, message: b });
    case 'NOTICE':
      return m.length === 2 && isStr(a) ? ok({ type, message: a }) : fail('invalid', 'NOTICE needs a message');
    case 'AUTH':
      return m.length === 2 && isStr(a) ? ok({ type, challenge: a }) : fail('invalid', 'AUTH needs a challenge');
    case 'COUNT':
      return parseCount(m);
    case 'NEG-MSG':
      if (m.length !== 3 || !isSubId(a) || !isHex(b)) return fail('invalid', 'NEG-MSG needs a subscription id and hex');
      return ok({ type, subId: a, message: b });
    case 'NEG-ERR':
      if (m.length !== 3 || !isSubId(a) || !isStr(b))
        return fail('invalid', 'NEG-ERR needs a subscription id and a reason');
      return ok({ type, subId: a, message: b });
    default:
      return fail('invalid', `unknown message type ${JSON.stringify(String(type).slice(0, 20))}`);
  }
}

function parseCount(m: unknown[]): Parsed<RelayMessage> {
  const [, a, b] = m;
  const err = arity(m, 3, 'COUNT');
  if (err || !isSubId(a) || typeof b !== 'object' || b === null) return fail('invalid', err ?? 'COUNT needs an object');
  const { count, approximate } = b as Record<string, unknown>;
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0)
    return fail('invalid', 'COUNT: bad count');
  if (approximate !== undefined && typeof approximate !== 'boolean') return fail('invalid', 'COUNT: bad approximate');
  return ok({ type: 'COUNT', subId: a, count, approximate: approximate === true });
}

function parseFilters(list: unknown[], opts: FilterParseOpts): Parsed<Filter[]> {
  const out: Filter[] = [];
  for (const f of list) {
    const r = parseFilter(f, opts);
    if (!r.ok) return r;
    out.push(r.value);
  }
  return out.length > 0 ? ok(out) : fail('invalid', 'at least one filter is required');
}

/** Parse one client → relay frame (the relay's side of the protocol: the test relay, the archive's endpoint). */
export function parseClientMessage(text: string, opts: FilterParseOpts = {}): Parsed<ClientMessage> {
  const arr = parseArray(text);
  if (!arr.ok) return arr;
  const m = arr.value;
  const [type, a, b, c] = m;
  switch (type) {
    case 'EVENT':
    case 'AUTH': {
      if (m.length !== 2) return fail('invalid', `${type} needs one event`);
      const shape = checkEventShape(a);
      return shape.ok ? ok({ type, event: shape.value }) : fail('invalid', `${type}: ${shape.detail}`);
    }
    case 'REQ':
    case 'COUNT': {
      if (!isSubId(a)) return fail('invalid', `${type} needs a subscription id`);
      const filters = parseFilters(m.slice(2), opts);
      return filters.ok ? ok({ type, subId: a, filters: filters.value }) : filters;
    }
    case 'CLOSE':
    case 'NEG-CLOSE':
      return m.length === 2 && isSubId(a) ? ok({ type, subId: a }) : fail('invalid', `${type} needs a subscription id`);
    case 'NEG-OPEN': {
      if (m.length !== 4 || !isSubId(a) || !isHex(c))
        return fail('invalid', 'NEG-OPEN needs a subscription id, a filter and hex');
      const f = parseFilter(b, opts);
      return f.ok ? ok({ type, subId: a, filter: f.value, message: c }) : f;
    }
    case 'NEG-MSG':
      if (m.length !== 3 || !isSubId(a) || !isHex(b)) return fail('invalid', 'NEG-MSG needs a subscription id and hex');
      return ok({ type, subId: a, message: b });
    default:
      return fail('invalid', `unknown message type ${JSON.stringify(String(type).slice(0, 20))}`);
  }
}
