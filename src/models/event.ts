/**
 * Nostr events (NIP-01). The event keeps its wire field names (`created_at`): it is the interchange format
 * itself, shared with nostr-tools, strfry and nak.
 */
import { createHash } from 'node:crypto';
import { fail, ok, type Result } from './result.js';
import { verifySchnorr } from './schnorr.js';

/** 64 lower-case hex characters: an event id. */
export type EventId = string & { readonly __brand: 'EventId' };
/** 64 lower-case hex characters: an x-only public key. */
export type Pubkey = string & { readonly __brand: 'Pubkey' };

/** A NIP-01 event whose shape has been checked (id and signature not necessarily verified). */
export interface NostrEvent {
  readonly id: EventId;
  readonly pubkey: Pubkey;
  readonly created_at: number;
  readonly kind: number;
  readonly tags: readonly (readonly string[])[];
  readonly content: string;
  readonly sig: string;
}

/** The longest tag value that can be stored (longer ones would overflow the tagvalues index). */
export const MAX_TAG_VALUE_LENGTH = 2048;

const HEX64 = /^[0-9a-f]{64}$/;
const HEX128 = /^[0-9a-f]{128}$/;

/**
 * Check the exact NIP-01 shape. Unknown extra fields are ignored (as nostr-tools and relays do) and not kept:
 * the returned event has exactly the seven NIP-01 fields.
 */
export function checkEventShape(value: unknown): Result<NostrEvent> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('invalid', 'not an object');
  const v = value as Record<string, unknown>;
  const { id, pubkey, created_at, kind, tags, content, sig } = v;
  if (typeof id !== 'string' || !HEX64.test(id)) return fail('invalid', 'id must be 64 lower-case hex characters');
  if (typeof pubkey !== 'string' || !HEX64.test(pubkey)) {
    return fail('invalid', 'pubkey must be 64 lower-case hex characters');
  }
  if (typeof sig !== 'string' || !HEX128.test(sig)) return fail('invalid', 'sig must be 128 lower-case hex characters');
  if (typeof created_at !== 'number' || !Number.isSafeInteger(created_at) || created_at < 0) {
    return fail('invalid', 'created_at must be a non-negative integer');
  }
  if (typeof kind !== 'number' || !Number.isInteger(kind) || kind < 0 || kind > 65535) {
    return fail('invalid', 'kind must be an integer from 0 to 65535');
  }
  if (typeof content !== 'string') return fail('invalid', 'content must be a string');
  if (!Array.isArray(tags) || !tags.every((t) => Array.isArray(t) && t.every((x) => typeof x === 'string'))) {
    return fail('invalid', 'tags must be an array of arrays of strings');
  }
  return ok({ id: id as EventId, pubkey: pubkey as Pubkey, created_at, kind, tags, content, sig });
}

/** The NIP-01 serialisation whose SHA-256 is the event id. */
export function serializeForId(e: Pick<NostrEvent, 'pubkey' | 'created_at' | 'kind' | 'tags' | 'content'>): string {
  return JSON.stringify([0, e.pubkey, e.created_at, e.kind, e.tags, e.content]);
}

/** The id an event must have: hex SHA-256 of its NIP-01 serialisation. */
export function computeEventId(e: Pick<NostrEvent, 'pubkey' | 'created_at' | 'kind' | 'tags' | 'content'>): string {
  return createHash('sha256').update(serializeForId(e)).digest('hex');
}

/** Whether the event's id matches its content. */
export function hasValidId(e: NostrEvent): boolean {
  return computeEventId(e) === e.id;
}

/** Whether the event's sig is a valid BIP-340 signature of its id by its pubkey. */
export function hasValidSignature(e: NostrEvent): boolean {
  return verifySchnorr(Buffer.from(e.sig, 'hex'), Buffer.from(e.id, 'hex'), Buffer.from(e.pubkey, 'hex'));
}

/** Shape, id and signature: the full NIP-01 validity of an untrusted value. */
export function validateEvent(value: unknown): { ok: true; event: NostrEvent } | { ok: false; reason: string } {
  const shape = checkEventShape(value);
  if (!shape.ok) return { ok: false, reason: shape.detail ?? shape.reason };
  if (!hasValidId(shape.value)) return { ok: false, reason: 'id does not match the event' };
  if (!hasValidSignature(shape.value)) return { ok: false, reason: 'invalid signature' };
  return { ok: true, event: shape.value };
}

/** A UTF-16 surrogate without its partner: UTF-8 cannot encode it, so PostgreSQL would store U+FFFD instead. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why PostgreSQL could not store `s` exactly as it was verified (text and JSONB alike), or undefined when it can. */
export function unstorableText(s: string): string | undefined {
  // text refuses U+0000 outright; JSONB refuses the escape \u0000
  if (s.includes('\0')) return 'null character';
  // text would hold U+FFFD (the stored row would no longer match its id); JSONB refuses the escape
  if (LONE_SURROGATE.test(s)) return 'lone UTF-16 surrogate';
  return undefined;
}

/**
 * Whether PostgreSQL can store the event byte for byte as it was verified, so that the stored row re-verifies
 * (docs/design/write-path.md): no null character and no lone surrogate in content or any tag string, no tag value
 * too long for the tagvalues index, and at most `maxEventSize` bytes of JSON when given.
 */
export function checkEventStorable(e: NostrEvent, opts: { maxEventSize?: number } = {}): Result<NostrEvent> {
  const content = unstorableText(e.content);
  if (content) return fail('invalid', `${content} in content`);
  for (const tag of e.tags) {
    for (const value of tag) {
      const bad = unstorableText(value);
      if (bad) return fail('invalid', `${bad} in a tag`);
      if (value.length > MAX_TAG_VALUE_LENGTH) {
        return fail('too-large', `tag value longer than ${MAX_TAG_VALUE_LENGTH} characters`);
      }
    }
  }
  if (opts.maxEventSize !== undefined) {
    const size = Buffer.byteLength(JSON.stringify(e));
    if (size > opts.maxEventSize) return fail('too-large', `event of ${size} bytes exceeds ${opts.maxEventSize}`);
  }
  return ok(e);
}

/** Whether the kind is ephemeral (20000-29999): relays forward such events without keeping them. */
export function isEphemeralKind(kind: number): boolean {
  return kind >= 20000 && kind < 30000;
}

/** NIP-01 kind classes. */
export type KindClass = 'regular' | 'replaceable' | 'ephemeral' | 'addressable' | 'other';

/** The NIP-01 class of a kind. */
export function eventKindClass(kind: number): KindClass {
  if (kind === 0 || kind === 3 || (kind >= 10000 && kind < 20000)) return 'replaceable';
  if (kind === 1 || kind === 2 || (kind >= 4 && kind <= 44) || (kind >= 1000 && kind < 10000)) return 'regular';
  if (isEphemeralKind(kind)) return 'ephemeral';
  if (kind >= 30000 && kind < 40000) return 'addressable';
  return 'other';
}

/**
 * The `tagvalues` of an event, as the database's tags_to_tagvalues computes them (the reference's rule): for every
 * tag whose name is one character, `name:value` with its first value, or null when the tag has no value.
 */
export function tagValues(tags: readonly (readonly string[])[]): (string | null)[] {
  const out: (string | null)[] = [];
  for (const t of tags) {
    const [name, value] = t;
    // length() in SQL counts code points: a one-letter name may be a surrogate pair.
    if (name !== undefined && isOneCodePoint(name)) out.push(value === undefined ? null : `${name}:${value}`);
  }
  return out;
}

function isOneCodePoint(s: string): boolean {
  if (s.length === 1) return true;
  if (s.length !== 2) return false;
  const hi = s.charCodeAt(0);
  const lo = s.charCodeAt(1);
  return hi >= 0xd800 && hi < 0xdc00 && lo >= 0xdc00 && lo < 0xe000;
}
