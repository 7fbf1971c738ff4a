/**
 * The test relay's event store: NIP-01 semantics in memory. Events are kept newest first (ties by id), so a
 * query is one ordered scan that stops at `limit`; replaceable and addressable events keep only the latest
 * version; ephemeral events are never stored.
 */
import { eventKindClass, type NostrEvent } from '../../models/event.js';
import { type Filter, matchFilters } from '../../nips/nip01/filter.js';

/** The outcome of adding an event: stored, already there, or replaced by a newer version already stored. */
export type AddOutcome = 'stored' | 'duplicate' | 'ephemeral' | 'outdated';

/** An in-memory NIP-01 store. */
export interface EventStore {
  readonly size: number;
  add(event: NostrEvent): AddOutcome;
  /** Matching events, newest first, at most `limit` in total per filter (NIP-01). */
  query(filters: readonly Filter[], limit: number): NostrEvent[];
  count(filters: readonly Filter[]): number;
  all(): readonly NostrEvent[];
  /** The order in which an event was stored (0, 1, …): only with `insertionOrder`, otherwise always -1. */
  seq(event: NostrEvent): number;
}

/** Store options. */
export interface EventStoreOpts {
  /** Remember the order events were stored in (`seq`), as strfry's ascending record ids do. */
  readonly insertionOrder?: boolean;
}

const newerFirst = (a: NostrEvent, b: NostrEvent): number =>
  b.created_at - a.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function replaceKey(e: NostrEvent): string | undefined {
  const cls = eventKindClass(e.kind);
  if (cls === 'replaceable') return `${e.kind}:${e.pubkey}`;
  if (cls !== 'addressable') return undefined;
  const d = e.tags.find((t) => t[0] === 'd')?.[1] ?? '';
  return `${e.kind}:${e.pubkey}:${d}`;
}

/** Create a store holding `initial` (which it does not copy per event: farms share event objects). */
export function createEventStore(initial: readonly NostrEvent[] = [], opts: EventStoreOpts = {}): EventStore {
  const events: NostrEvent[] = [];
  const ids = new Set<string>();
  const order = opts.insertionOrder ? new Map<NostrEvent, number>() : undefined;
  let stored = 0;
  const latest = new Map<string, NostrEvent>();

  function remove(e: NostrEvent): void {
    const i = events.indexOf(e);
    if (i >= 0) events.splice(i, 1);
    ids.delete(e.id);
    order?.delete(e);
  }

  function insertSorted(e: NostrEvent): void {
    let lo = 0;
    let hi = events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (newerFirst(events[mid] as NostrEvent, e) < 0) lo = mid + 1;
      else hi = mid;
    }
    events.splice(lo, 0, e);
  }

  function add(e: NostrEvent, sorted = true): AddOutcome {
    if (ids.has(e.id)) return 'duplicate';
    if (eventKindClass(e.kind) === 'ephemeral') return 'ephemeral';
    const key = replaceKey(e);
    if (key !== undefined) {
      const old = latest.get(key);
      if (old && newerFirst(old, e) < 0) return 'outdated';
      if (old) remove(old);
      latest.set(key, e);
    }
    ids.add(e.id);
    order?.set(e, stored);
    stored += 1;
    if (sorted) insertSorted(e);
    else events.push(e);
    return 'stored';
  }

  for (const e of initial) add(e, false);
  events.sort(newerFirst);

  return {
    get size() {
      return events.length;
    },
    add: (e) => add(e),
    query(filters, limit) {
      const out: NostrEvent[] = [];
      const seen = filters.length > 1 ? new Set<NostrEvent>() : undefined;
      for (const filter of filters) {
        const max = Math.min(filter.limit ?? limit, limit);
        let n = 0;
        for (const e of events) {
          if (n >= max) break;
          if (filter.until !== undefined && e.created_at > filter.until) continue;
          if (filter.since !== undefined && e.created_at < filter.since) break; // newest first: nothing older matches
          if (matchFilters([filter], e) && !seen?.has(e)) {
            seen?.add(e);
            out.push(e);
            n += 1;
          }
        }
      }
      return filters.length > 1 ? out.sort(newerFirst) : out;
    },
    count: (filters) => events.reduce((n, e) => (matchFilters(filters, e) ? n + 1 : n), 0),
    all: () => events,
    seq: (e) => order?.get(e) ?? -1,
  };
}
