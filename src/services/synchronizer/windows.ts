/**
 * Walking a relay's time window to completeness (spec 05, synchronizer): pages of the newest `limit` events,
 * newest first. A full page proves everything newer than its oldest second m was seen, so the walk continues
 * in [since, m]. A full one-second window is split by kind ranges until every part is below the limit; a single
 * kind still full in one second goes to the negentropy enumerator when the relay has one, else the second is
 * reported as possibly incomplete (never silently dropped).
 */
import type { NostrEvent } from '../../models/event.js';
import type { Filter } from '../../nips/nip01/filter.js';
import type { ProbeResult } from '../../utils/net/reasons.js';

/** Fetch every event the relay returns for one filter (REQ until EOSE). */
export type PageFetcher = (filter: Filter, signal: AbortSignal) => Promise<ProbeResult<NostrEvent[]>>;

/** Enumerate one second of one filter completely (negentropy), or undefined when it cannot. */
export type SecondEnumerator = (
  second: number,
  filter: Filter,
  signal: AbortSignal,
) => Promise<NostrEvent[] | undefined>;

/** How to walk. */
export interface WalkOpts {
  readonly since: number;
  readonly until: number;
  /** Our limit per REQ; lowered to the relay's real cap when a short page turns out not to be complete. */
  readonly limit: number;
  /** Receives events in batches (newest windows first); its promise is the back-pressure. */
  readonly emit: (events: NostrEvent[]) => Promise<void>;
  readonly enumerateSecond?: SecondEnumerator;
  readonly signal: AbortSignal;
}

/** A second REQ could not enumerate: how many events of which filter were seen there. */
export interface IncompleteSecond {
  readonly second: number;
  readonly filter: Filter;
  readonly seen: number;
}

/** What a walk did. */
export interface WalkReport {
  requests: number;
  events: number;
  /** The limit the relay really applies, when it turned out lower than asked (learned from a short page). */
  limit: number;
  readonly incomplete: IncompleteSecond[];
  failure?: { readonly reason: string; readonly detail?: string };
}

const MAX_KIND = 65_535;
const FANOUT = 16;

/** Walk [since, until] of `base` (its since/until/limit are replaced). */
export async function walkWindow(fetch: PageFetcher, base: Filter, opts: WalkOpts): Promise<WalkReport> {
  const report: WalkReport = { requests: 0, events: 0, limit: opts.limit, incomplete: [] };
  let learned = false;
  const { since: _s, until: _u, limit: _l, ...filter } = base;
  const page = async (f: Filter): Promise<NostrEvent[] | undefined> => {
    report.requests += 1;
    const r = await fetch({ ...f, limit: f.limit ?? opts.limit }, opts.signal);
    if (r.ok) return r.value;
    report.failure = { reason: r.reason, ...(r.detail ? { detail: r.detail } : {}) };
    return undefined;
  };
  const emit = async (events: NostrEvent[]): Promise<void> => {
    if (events.length === 0) return;
    report.events += events.length;
    await opts.emit(events);
  };
  const stack: [number, number][] = [[opts.since, opts.until]];
  while (stack.length > 0 && !opts.signal.aborted && !report.failure) {
    const [s, u] = stack.pop() as [number, number];
    const events = await page({ ...filter, since: s, until: u });
    if (!events) break;
    const m = events.length > 0 ? Math.min(...events.map((e) => e.created_at)) : u;
    // a short page is complete only if the relay does not cap below our limit: check once below its oldest second
    if (events.length < report.limit && !learned && events.length > 0 && m > s) {
      learned = true;
      const below = await page({ ...filter, since: s, until: m - 1, limit: 1 });
      if (!below) break;
      if (below.length > 0) report.limit = events.length;
    }
    if (events.length < report.limit) {
      await emit(events);
      continue;
    }
    if (s === u || m === u) {
      // the page is all one second: enumerate it by splitting, then go on below it
      await denseSecond(u, filter, events, page, emit, opts, report);
      if (s < u) stack.push([s, u - 1]);
      continue;
    }
    await emit(events.filter((e) => e.created_at > m));
    stack.push([s, m]);
  }
  return report;
}

async function denseSecond(
  second: number,
  filter: Filter,
  seenFirst: readonly NostrEvent[],
  page: (f: Filter) => Promise<NostrEvent[] | undefined>,
  emit: (events: NostrEvent[]) => Promise<void>,
  opts: WalkOpts,
  report: WalkReport,
): Promise<void> {
  const seen = new Set(seenFirst.map((e) => e.id));
  const fresh = (events: readonly NostrEvent[]): NostrEvent[] => {
    const out = events.filter((e) => !seen.has(e.id));
    for (const e of out) seen.add(e.id);
    return out;
  };
  await emit([...seenFirst]);
  const pending: number[][] = filter.kinds ? [filter.kinds] : splitRange(0, MAX_KIND);
  while (pending.length > 0 && !opts.signal.aborted && !report.failure) {
    const kinds = pending.pop() as number[];
    const part: Filter = { ...filter, kinds, since: second, until: second };
    const events = await page(part);
    if (!events) return;
    await emit(fresh(events));
    if (events.length < report.limit) continue;
    if (kinds.length > 1) {
      pending.push(...splitList(kinds));
      continue;
    }
    const all = opts.enumerateSecond ? await opts.enumerateSecond(second, part, opts.signal) : undefined;
    if (all) await emit(fresh(all));
    else report.incomplete.push({ second, filter: part, seen: events.length });
  }
}

/** Kinds [from, to] as FANOUT contiguous lists (the first split of a dense second). */
function splitRange(from: number, to: number): number[][] {
  const size = Math.ceil((to - from + 1) / FANOUT);
  const out: number[][] = [];
  for (let start = from; start <= to; start += size) {
    out.push(Array.from({ length: Math.min(size, to - start + 1) }, (_, i) => start + i));
  }
  return out;
}

/** A kind list split into up to FANOUT contiguous parts. */
function splitList(kinds: readonly number[]): number[][] {
  const size = Math.ceil(kinds.length / FANOUT);
  const out: number[][] = [];
  for (let i = 0; i < kinds.length; i += size) out.push(kinds.slice(i, i + size));
  return out;
}
