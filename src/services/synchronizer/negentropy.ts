/**
 * NIP-77 negentropy in the synchronizer: whole windows reconciled against what we already hold from
 * the relay (24 h to start, halved on `blocked` or when too large to keep in memory, doubled after a window with
 * nothing to fetch), then only the
 * missing ids fetched in batches; and the enumeration of a dense second (reconcile against nothing).
 */
import type { NostrEvent } from '../../models/event.js';
import { ok } from '../../models/result.js';
import type { RelayConnection } from '../../nips/nip01/connection.js';
import type { Filter } from '../../nips/nip01/filter.js';
import { negentropyStorageOf, reconcileWithRelay } from '../../nips/nip77/reconcile.js';
import type { ProbeReason, ProbeResult } from '../../utils/net/reasons.js';
import type { PageFetcher, SecondEnumerator } from './windows.js';

const ID_BATCH = 200;

/**
 * Fetch `ids` in batches. An id the relay does not hand over is asked once more, in a batch no larger than the
 * relay's last answer (so a relay that caps answers below the batch is not mistaken for one that withholds); left
 * out twice, it is `unserved`: strfry lists restricted kinds in a reconciliation and then leaves them out of the
 * answer. Counted, never waited for.
 */
export async function fetchIds(
  fetch: PageFetcher,
  ids: Iterable<string>,
  emit: (events: NostrEvent[]) => Promise<void>,
  signal: AbortSignal,
  batch = ID_BATCH,
): Promise<ProbeResult<{ requests: number; events: number; unserved: number }>> {
  const missing = new Set(ids);
  const askedOnce = new Set<string>();
  let size = batch;
  let requests = 0;
  let events = 0;
  let unserved = 0;
  // ids asked once and left out stay at the front of `missing`, so they are asked again first
  while (missing.size > 0) {
    requests += 1;
    const next: string[] = [];
    for (const id of missing) if (next.push(id) >= size) break;
    const page = await fetch({ ids: next }, signal);
    if (!page.ok) return page;
    const fresh = page.value.filter((e) => missing.delete(e.id));
    if (fresh.length > 0) {
      events += fresh.length;
      await emit(fresh);
      if (fresh.length < next.length) size = fresh.length;
    }
    for (const id of next) {
      if (!missing.has(id)) continue;
      if (askedOnce.has(id)) {
        missing.delete(id);
        unserved += 1;
      } else {
        askedOnce.add(id);
      }
    }
  }
  return ok({ requests, events, unserved });
}

/** A second enumerator over `conn`: undefined (so the second is reported) when negentropy fails. */
export function negentropyEnumerator(conn: RelayConnection, fetch: PageFetcher): SecondEnumerator {
  return async (_second, filter, signal) => {
    const r = await reconcileWithRelay(conn, filter, [], { signal });
    if (!r.ok) return undefined;
    const events: NostrEvent[] = [];
    const got = await fetchIds(fetch, r.value.need, async (page) => void events.push(...page), signal);
    return got.ok ? { events, unserved: got.value.unserved } : undefined;
  };
}

/** What we hold from a relay in a window, oldest first: each item's created_at, and the ids end to end (32 bytes). */
export interface HeldSet {
  readonly timestamps: readonly number[];
  readonly ids: Buffer;
}

/** The held set of `items` (deduplicated by id), ordered as the database orders it: created_at, then id. */
export function heldSetOf(items: readonly { readonly created_at: number; readonly id: string }[]): HeldSet {
  const byId = new Map(items.map((e) => [e.id, e.created_at]));
  const sorted = [...byId].sort(([a, at], [b, bt]) => at - bt || (a < b ? -1 : a > b ? 1 : 0));
  return { timestamps: sorted.map(([, t]) => t), ids: Buffer.from(sorted.map(([id]) => id).join(''), 'hex') };
}

/** What a negentropy walk of a span did. */
export interface NegentropyReport {
  /** Windows reconciled and fetched; the walk completed up to here (inclusive). */
  reachedUntil: number | undefined;
  windows: number;
  /** NEG-OPEN/NEG-MSG round trips plus id REQs. */
  requests: number;
  /** Events fetched because we lacked them. */
  fetched: number;
  /** Events the relay has that we already held from it: what a REQ walk would have downloaded again. */
  skipped: number;
  /** NEG-ERR `blocked` answers (each halved the window). */
  blocked: number;
  /** Windows narrowed because they held or lacked more ids than the walk keeps at once (`maxHeld`, `maxNeed`). */
  narrowed: number;
  /** Ids the relay listed but did not serve (withheld from this reader). */
  unserved: number;
  /**
   * Why it stopped before `until`. `negentropy`: the reconciliation failed, and the caller may walk the rest
   * with REQ windows from `reachedUntil + 1`; `req`: the REQ walk of a window failed, which a second walk of the
   * same window in the same cycle would not mend.
   */
  failure?: { readonly stage: 'negentropy' | 'req'; readonly reason: ProbeReason; readonly detail: string };
}

/** How to walk a span with negentropy. */
export interface NegentropyWalkOpts {
  readonly since: number;
  readonly until: number;
  /** What we hold from this relay in [since, until]. */
  readonly held: (since: number, until: number) => Promise<HeldSet>;
  readonly emit: (events: NostrEvent[]) => Promise<void>;
  /** A window [since, until] is complete: its events were all emitted. */
  readonly windowDone: (until: number) => void;
  readonly signal: AbortSignal;
  readonly initialSpan?: number;
  /**
   * Walk [since, until] with REQ pages: how many events it found, or why it stopped. Used for a window where we
   * hold nothing from the relay, which negentropy could only answer with the list of every id in it. When it
   * also returns what it saw (`seen`), the window is then reconciled against that: on a relay that withholds
   * events from us this lists them (counted as unserved) and fetches anything the REQ walk could not prove.
   */
  readonly plain?: (since: number, until: number) => Promise<ProbeResult<{ events: number; seen?: HeldSet }>>;
  /**
   * Memory bounds of one relay's walk. A window holding more than `maxHeld` items (default 1,000) is reconciled in
   * parts of at most that many, each ending before the second of the next item (a second holding more is one part,
   * whole); a part lacking more than `maxNeed` ids (default 20,000) is halved before anything is fetched, down to
   * one second. nostr-tools keeps each item of a reconciliation as an object with its own byte array. The ingest
   * benchmark's NIP-77 run with 80 % stored (50 relays reconciling 16,000 held events each at once) peaked at
   * 670 MiB in one part, 313 MiB in parts of 5,000, 291 MiB in parts of 2,000, 270 MiB in parts of 1,000.
   */
  readonly maxHeld?: number;
  readonly maxNeed?: number;
}

/** Walk [since, until] of `filter` in reconciled windows, oldest first. */
export async function negentropyWalk(
  conn: RelayConnection,
  fetch: PageFetcher,
  base: Filter,
  o: NegentropyWalkOpts,
): Promise<NegentropyReport> {
  const { since: _s, until: _u, limit: _l, ...filter } = base;
  const report: NegentropyReport = {
    reachedUntil: undefined,
    windows: 0,
    requests: 0,
    fetched: 0,
    skipped: 0,
    blocked: 0,
    narrowed: 0,
    unserved: 0,
  };
  const maxHeld = o.maxHeld ?? 1_000;
  const maxNeed = o.maxNeed ?? 20_000;
  let span = o.initialSpan ?? 86_400;
  let s = o.since;
  // held items of [s, pending.until] not reconciled yet (from index `from` on), left over from a window too large
  // to reconcile at once
  let pending: { until: number; set: HeldSet; from: number } | undefined;
  // a window walked with REQ pages and now reconciled against what that walk saw: its end and that set
  let verifying: { until: number; seen: HeldSet } | undefined;
  while (s <= o.until && !o.signal.aborted) {
    if (verifying && s > verifying.until) verifying = undefined;
    let u = pending?.until ?? Math.min(o.until, verifying?.until ?? o.until, s + span - 1);
    const set = pending?.set ?? (verifying ? slice(verifying.seen, s, u) : await o.held(s, u));
    const from = pending?.from ?? 0;
    pending = undefined;
    let to = set.timestamps.length;
    const cut = set.timestamps[from + maxHeld];
    if (cut !== undefined) {
      // this part ends before the second of the first item beyond the bound (or is that one second, whole); the
      // rest waits in memory, without asking the database again
      report.narrowed += 1;
      const bound = Math.max(cut, s + 1);
      let next = from + maxHeld;
      while (next > from && (set.timestamps[next - 1] as number) >= bound) next -= 1;
      while (next < to && (set.timestamps[next] as number) < bound) next += 1;
      if (next < to) pending = { until: u, set, from: next };
      to = next;
      u = Math.max(s, cut - 1);
    }
    const held = to - from;
    if (held === 0 && o.plain && !verifying) {
      // every id would be missing: REQ pages carry the events themselves, and no list of ids waits meanwhile
      // (with all 50 relays of the ingest benchmark listing their whole history that way: 1.3 GB)
      const found = await o.plain(s, u);
      if (!found.ok) {
        report.failure = { stage: 'req', reason: found.reason, detail: found.detail ?? '' };
        return report;
      }
      if (found.value.seen) {
        verifying = { until: u, seen: found.value.seen };
        continue;
      }
      report.windows += 1;
      report.reachedUntil = u;
      if (found.value.events === 0) span *= 2;
      s = u + 1;
      continue;
    }
    const storage = negentropyStorageOf(set.timestamps, set.ids, from, to);
    const r = await reconcileWithRelay(conn, { ...filter, since: s, until: u }, storage, { signal: o.signal });
    if (!r.ok) {
      if (r.detail?.includes('blocked') && u > s) {
        report.blocked += 1;
        span = Math.max(1, Math.floor((u - s + 1) / 2));
        pending = undefined;
        continue;
      }
      report.failure = { stage: 'negentropy', reason: r.reason, detail: r.detail ?? '' };
      return report;
    }
    report.requests += r.value.rounds;
    if (r.value.need.length > maxNeed && u > s) {
      report.narrowed += 1;
      span = Math.max(1, Math.floor((u - s + 1) / 2));
      pending = undefined;
      continue;
    }
    if (!verifying) report.skipped += held - r.value.have.length;
    const got = await fetchIds(fetch, r.value.need, o.emit, o.signal);
    if (!got.ok) {
      report.failure = { stage: 'req', reason: got.reason, detail: got.detail ?? '' };
      return report;
    }
    report.requests += got.value.requests;
    report.fetched += got.value.events;
    report.unserved += got.value.unserved;
    report.windows += 1;
    report.reachedUntil = u;
    o.windowDone(u);
    if (r.value.need.length === 0 && !pending) span *= 2;
    s = u + 1;
  }
  return report;
}

/** The items of `set` in [since, until]. */
function slice(set: HeldSet, since: number, until: number): HeldSet {
  const ts = set.timestamps;
  let from = 0;
  while (from < ts.length && (ts[from] as number) < since) from += 1;
  let to = from;
  while (to < ts.length && (ts[to] as number) <= until) to += 1;
  return { timestamps: ts.slice(from, to), ids: set.ids.subarray(from * 32, to * 32) };
}
