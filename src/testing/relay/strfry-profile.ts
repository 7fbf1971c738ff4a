/**
 * The test relay's strfry profile: strfry 1.1.1's default behaviour as its source describes it (hoytech/strfry:
 * filters.h, DBQuery.h, ReadRestrictor.h, RelayIngester.cpp, RelayReqWorker.cpp, RelayReqMonitor.cpp,
 * RelayNegentropy.cpp, RelayWebsocket.cpp, golpe.yaml). This module holds the rules; strfry-session.ts the protocol.
 * docs/relays.md lists the facts and how the differential test proves them against the real binary.
 */
import type { NostrEvent } from '../../models/event.js';
import type { Filter } from '../../nips/nip01/filter.js';
import { matchFilter } from '../../nips/nip01/filter.js';
import type { EventStore } from './store.js';
import type { TestRelayInfo } from './types.js';

/** The profile's settings; every default is strfry's shipped `strfry.conf`. */
export interface StrfryProfile {
  /**
   * Whether NIP-42 AUTH can succeed (strfry with `relay.auth.serviceUrl` set to this relay's URL). Default false,
   * as shipped: every AUTH gets `OK false "error: relay needs serviceUrl to be configured before AUTH can work"`.
   */
  readonly acceptAuth?: boolean;
  /** `relay.auth.restrictedReadKinds`; default [4, 1059]. */
  readonly restrictedReadKinds?: readonly number[];
  /** `relay.auth.restrictReadToInvolvedPubkey`: an authenticated reader gets only DMs it authored or is p-tagged in; default true. */
  readonly restrictReadToInvolvedPubkey?: boolean;
  /** `relay.maxFilterLimit`: a larger or missing `limit` is cut to this; default 500. */
  readonly maxFilterLimit?: number;
  /** `relay.maxSubsPerConnection`; default 200. */
  readonly maxSubsPerConnection?: number;
  /** `relay.maxReqFilterSize`: filters per REQ; default 200. */
  readonly maxReqFilterSize?: number;
  /** `relay.maxTagsPerFilter`; default 3. */
  readonly maxTagsPerFilter?: number;
  /** `relay.maxFilterLimitCount` (COUNT); default 1,000,000. */
  readonly maxFilterLimitCount?: number;
  /** `relay.maxWebsocketPayloadSize`: a larger client message drops the connection; default 131,072. */
  readonly maxMessageBytes?: number;
  /** `relay.negentropy.maxSyncEvents`; default 1,000,000. */
  readonly maxSyncEvents?: number;
  /** The negentropy frame size limit (hard-coded in RelayNegentropy.cpp); default 500,000. */
  readonly negentropyFrameSizeLimit?: number;
}

/** A profile with every default filled in. */
export type StrfryRules = Required<StrfryProfile>;

/** Fill in strfry's defaults. */
export function strfryRules(p: StrfryProfile = {}): StrfryRules {
  return {
    acceptAuth: p.acceptAuth ?? false,
    restrictedReadKinds: p.restrictedReadKinds ?? [4, 1059],
    restrictReadToInvolvedPubkey: p.restrictReadToInvolvedPubkey ?? true,
    maxFilterLimit: p.maxFilterLimit ?? 500,
    maxSubsPerConnection: p.maxSubsPerConnection ?? 200,
    maxReqFilterSize: p.maxReqFilterSize ?? 200,
    maxTagsPerFilter: p.maxTagsPerFilter ?? 3,
    maxFilterLimitCount: p.maxFilterLimitCount ?? 1_000_000,
    maxMessageBytes: p.maxMessageBytes ?? 131_072,
    maxSyncEvents: p.maxSyncEvents ?? 1_000_000,
    negentropyFrameSizeLimit: p.negentropyFrameSizeLimit ?? 500_000,
  };
}

/** strfry's NIP-11 document (RelayWebsocket.cpp), keys in its (alphabetical) order. */
export function strfryInfo(r: StrfryRules): TestRelayInfo {
  const nips = [1, 2, 4, 9, 11, 28, 40, 59, 70];
  if (r.acceptAuth) nips.push(42);
  if (r.maxFilterLimitCount > 0) nips.push(45);
  nips.push(77);
  const limitation = {
    max_limit: r.maxFilterLimit,
    max_message_length: r.maxMessageBytes,
    max_subscriptions: r.maxSubsPerConnection,
  };
  return {
    description: 'This is a strfry instance.',
    limitation,
    name: 'strfry default',
    negentropy: 1,
    software: 'git+https://github.com/hoytech/strfry.git',
    supported_nips: nips.sort((a, b) => a - b),
    version: 'bigbrotr-test-relay strfry profile',
  };
}

/**
 * Events in the order strfry stores one write batch (`writeEvents` sorts it by created_at, then id): queries return
 * the most recently stored first within one second, so ties come back id-descending.
 */
export function strfryBatchOrder(events: readonly NostrEvent[]): NostrEvent[] {
  return [...events].sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** An event as strfry sends it: keys in alphabetical order (tao::json objects are sorted maps). */
export function strfryEventJson(e: NostrEvent): string {
  const { content, created_at, id, kind, pubkey, sig, tags } = e;
  return JSON.stringify({ content, created_at, id, kind, pubkey, sig, tags });
}

/** A filter as strfry parsed it: `limit` already cut to the maximum. */
export interface StrfryFilter extends Filter {
  limit: number;
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * Parse a filter group the way `NostrFilter`'s constructor does, throwing its messages. Filters with an empty
 * `ids`/`authors`/`kinds`/`#x` can never match and are left out (`neverMatch`).
 */
export function parseStrfryFilters(values: readonly unknown[], maxLimit: number, r: StrfryRules): StrfryFilter[] {
  const out: StrfryFilter[] = [];
  for (const value of values) {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new Error('provided filter is not an object');
    const f: StrfryFilter = { limit: Number.MAX_SAFE_INTEGER };
    let never = false;
    let tags = 0;
    for (const [k, v] of Object.entries(value)) {
      if (k === 'since' || k === 'until' || k === 'limit') {
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error(`error parsing ${k}`);
        f[k] = v;
        continue;
      }
      const isTag = k.startsWith('#');
      if (k !== 'ids' && k !== 'authors' && k !== 'kinds' && !isTag) throw new Error(`unrecognised filter item: ${k}`);
      if (!Array.isArray(v)) throw new Error(`${k} not an array`);
      if (v.length === 0) {
        never = true;
        continue;
      }
      if (k === 'kinds') {
        if (!v.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0))
          throw new Error('error parsing kinds: not an unsigned integer');
        f.kinds = v;
      } else if (isTag) {
        if (k.length !== 2) throw new Error(`error parsing ${k}: unindexed tag filter`);
        if ((k === '#p' || k === '#e') && !v.every((x) => typeof x === 'string' && HEX64.test(x)))
          throw new Error(`error parsing ${k}: filter item too small`);
        f[k as `#${string}`] = v.map(String);
        tags += 1;
      } else {
        if (!v.every((x) => typeof x === 'string' && HEX64.test(x))) throw new Error(`error parsing ${k}`);
        f[k as 'ids' | 'authors'] = v;
      }
    }
    if (tags > r.maxTagsPerFilter) throw new Error('too many tags in filter');
    f.limit = Math.min(f.limit, maxLimit);
    if (!never) out.push(f);
  }
  return out;
}

/** `ReadRestrictor::isFilterGroupFullyRestricted`: every filter names restricted kinds only. */
export function fullyRestricted(filters: readonly Filter[], r: StrfryRules): boolean {
  if (r.restrictedReadKinds.length === 0 || filters.length === 0) return false;
  return filters.every((f) => f.kinds?.every((k) => r.restrictedReadKinds.includes(k)) === true);
}

/** `ReadRestrictor::shouldSendToSubscriber`. */
export function mayRead(e: NostrEvent, authed: string | undefined, r: StrfryRules): boolean {
  if (!r.restrictedReadKinds.includes(e.kind)) return true;
  if (authed === undefined) return false;
  if (!r.restrictReadToInvolvedPubkey) return true;
  return e.pubkey === authed || e.tags.some((t) => t[0] === 'p' && t[1] === authed);
}

/** `ReadRestrictor::isFilterAllowedToCount`. */
export function mayCount(filters: readonly Filter[], authed: string | undefined, r: StrfryRules): boolean {
  if (r.restrictedReadKinds.length === 0) return true;
  for (const f of filters) {
    if (!f.kinds?.some((k) => r.restrictedReadKinds.includes(k))) continue;
    if (authed === undefined) return false;
    if (!r.restrictReadToInvolvedPubkey) continue;
    const only = (set: readonly string[] | undefined): boolean => !!set?.length && set.every((x) => x === authed);
    if (!only(f.authors) && !only(f['#p'])) return false;
  }
  return true;
}

/**
 * `DBQuery`: each filter in turn, newest first and, within one second, the most recently stored first; a filter
 * stops after `limit` distinct events (events an earlier filter already sent still count, but are not sent twice).
 * Restricted events are dropped by the caller AFTER this, so pages come back short.
 */
export function strfryQuery(store: EventStore, filters: readonly StrfryFilter[]): NostrEvent[] {
  const sent = new Set<NostrEvent>();
  const out: NostrEvent[] = [];
  const all = store.all();
  for (const f of filters) {
    if (f.limit === 0) continue;
    let counted = 0;
    let i = 0;
    while (i < all.length && counted < f.limit) {
      const second = (all[i] as NostrEvent).created_at;
      let j = i;
      while (j < all.length && (all[j] as NostrEvent).created_at === second) j++;
      if (f.since !== undefined && second < f.since) break;
      if (f.until === undefined || second <= f.until) {
        const group = all.slice(i, j).filter((e) => matchFilter(f, e));
        group.sort((a, b) => store.seq(b) - store.seq(a));
        for (const e of group) {
          if (counted >= f.limit) break;
          counted += 1;
          if (!sent.has(e)) {
            sent.add(e);
            out.push(e);
          }
        }
      }
      i = j;
    }
  }
  return out;
}
