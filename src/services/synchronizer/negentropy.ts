/**
 * NIP-77 negentropy in the synchronizer (spec 05): whole windows reconciled against what we already hold from
 * the relay (24 h to start, halved on `blocked` or when too large to keep in memory, doubled after a window with
 * nothing to fetch), then only the
 * missing ids fetched in batches; and the enumeration of a dense second (reconcile against nothing).
 */
import type { NostrEvent } from '../../models/event.js';
import { fail, ok } from '../../models/result.js';
import type { RelayConnection } from '../../nips/nip01/connection.js';
import type { Filter } from '../../nips/nip01/filter.js';
import { negentropyStorageOf, reconcileWithRelay } from '../../nips/nip77/reconcile.js';
import type { ProbeResult } from '../../utils/net/reasons.js';
import type { PageFetcher, SecondEnumerator } from './windows.js';

const ID_BATCH = 200;

/** Fetch `ids` in batches; fails when the relay stops handing them over. */
export async function fetchIds(
  fetch: PageFetcher,
  ids: Iterable<string>,
  emit: (events: NostrEvent[]) => Promise<void>,
  signal: AbortSignal,
  batch = ID_BATCH,
): Promise<ProbeResult<{ requests: number; events: number }>> {
  const missing = new Set(ids);
  let requests = 0;
  let events = 0;
  // ask for the missing ids until none is left; a relay may cap each answer below the batch
  while (missing.size > 0) {
    requests += 1;
    const next: string[] = [];
    for (const id of missing) if (next.push(id) >= batch) break;
    const page = await fetch({ ids: next }, signal);
    if (!page.ok) return page;
    const fresh = page.value.filter((e) => missing.delete(e.id));
    if (fresh.length === 0) return fail('invalid', `the relay withheld ${missing.size} ids it listed`);
    events += fresh.length;
    await emit(fresh);
  }
  return ok({ requests, events });
}

/** A second enumerator over `conn`: undefined (so the second is reported) when negentropy fails. */
export function negentropyEnumerator(conn: RelayConnection, fetch: PageFetcher): SecondEnumerator {
  return async (_second, filter, signal) => {
    const r = await reconcileWithRelay(conn, filter, [], { signal });
    if (!r.ok) return undefined;
    const out: NostrEvent[] = [];
    const got = await fetchIds(fetch, r.value.need, async (events) => void out.push(...events), signal);
    return got.ok ? out : undefined;
  };
}

/** What we hold from a relay in a window, oldest first: each item's created_at, and the ids end to end (32 bytes). */
export interface HeldSet {
  readonly timestamps: readonly number[];
  readonly ids: Buffer;
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
  /** Why it stopped before `until` (the caller falls back to REQ windows from `reachedUntil + 1`). */
  failure?: string;
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
   * Walk [since, until] with REQ pages: the events it found, or undefined when it stopped. Used for a window where
   * we hold nothing from the relay, which negentropy could only answer with the list of every id in it.
   */
  readonly plain?: (since: number, until: number) => Promise<number | undefined>;
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
  };
  const maxHeld = o.maxHeld ?? 1_000;
  const maxNeed = o.maxNeed ?? 20_000;
  let span = o.initialSpan ?? 86_400;
  let s = o.since;
  // held items of [s, pending.until] not reconciled yet (from index `from` on), left over from a window too large
  // to reconcile at once
  let pending: { until: number; set: HeldSet; from: number } | undefined;
  while (s <= o.until && !o.signal.aborted) {
    let u = pending?.until ?? Math.min(o.until, s + span - 1);
    const set = pending?.set ?? (await o.held(s, u));
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
    if (held === 0 && o.plain) {
      // every id would be missing: REQ pages carry the events themselves, and no list of ids waits meanwhile
      // (with all 50 relays of the ingest benchmark listing their whole history that way: 1.3 GB)
      const found = await o.plain(s, u);
      if (found === undefined) {
        report.failure = 'the REQ walk of a window with nothing held stopped';
        return report;
      }
      report.windows += 1;
      report.reachedUntil = u;
      if (found === 0) span *= 2;
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
      report.failure = `${r.reason}: ${r.detail ?? ''}`;
      return report;
    }
    report.requests += r.value.rounds;
    if (r.value.need.length > maxNeed && u > s) {
      report.narrowed += 1;
      span = Math.max(1, Math.floor((u - s + 1) / 2));
      pending = undefined;
      continue;
    }
    report.skipped += held - r.value.have.length;
    const got = await fetchIds(fetch, r.value.need, o.emit, o.signal);
    if (!got.ok) {
      report.failure = `${got.reason}: ${got.detail ?? ''}`;
      return report;
    }
    report.requests += got.value.requests;
    report.fetched += got.value.events;
    report.windows += 1;
    report.reachedUntil = u;
    o.windowDone(u);
    if (r.value.need.length === 0 && !pending) span *= 2;
    s = u + 1;
  }
  return report;
}
