/**
 * NIP-77 negentropy in the synchronizer (spec 05): whole windows reconciled against what we already hold from
 * the relay (24 h to start, halved on `blocked`, doubled after a window with nothing to fetch), then only the
 * missing ids fetched in batches; and the enumeration of a dense second (reconcile against nothing).
 */
import type { NostrEvent } from '../../models/event.js';
import { fail, ok } from '../../models/result.js';
import type { RelayConnection } from '../../nips/nip01/connection.js';
import type { Filter } from '../../nips/nip01/filter.js';
import { type NegentropyItem, reconcileWithRelay } from '../../nips/nip77/reconcile.js';
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
    const page = await fetch({ ids: [...missing].slice(0, batch) }, signal);
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
  /** Why it stopped before `until` (the caller falls back to REQ windows from `reachedUntil + 1`). */
  failure?: string;
}

/** How to walk a span with negentropy. */
export interface NegentropyWalkOpts {
  readonly since: number;
  readonly until: number;
  /** What we hold from this relay in [since, until] (ids and created_at). */
  readonly held: (since: number, until: number) => Promise<NegentropyItem[]>;
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
  };
  let span = o.initialSpan ?? 86_400;
  let s = o.since;
  while (s <= o.until && !o.signal.aborted) {
    const u = Math.min(o.until, s + span - 1);
    const held = await o.held(s, u);
    if (held.length === 0 && o.plain) {
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
    const r = await reconcileWithRelay(conn, { ...filter, since: s, until: u }, held, { signal: o.signal });
    if (!r.ok) {
      if (r.detail?.includes('blocked') && span > 1) {
        report.blocked += 1;
        span = Math.max(1, Math.floor(span / 2));
        continue;
      }
      report.failure = `${r.reason}: ${r.detail ?? ''}`;
      return report;
    }
    report.requests += r.value.rounds;
    report.skipped += held.length - r.value.have.length;
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
    if (r.value.need.length === 0) span *= 2;
    s = u + 1;
  }
  return report;
}
