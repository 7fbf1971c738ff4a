/**
 * Walking a relay's time window to completeness with REQ pages, newest first (docs/design/synchronizer.md).
 *
 * A full page (as many events as the limit) proves everything newer than its oldest second m was seen, so the
 * walk goes on in [since, m]. A short page proves the rest of its range empty only on a relay that applies its
 * limit to what it sends: strfry, for one, counts restricted events (kind 4 for a reader who has not
 * authenticated) against the limit and then leaves them out, so its pages come back short while older events
 * follow. On such a relay (`shortPagesSuspect`, known from a restriction probe or learned here when a short page
 * turns out to have events below it) a short page is followed below too, until a page comes back empty.
 *
 * A full one-second window is split by kind ranges (leaving out the kinds the relay withholds) until every part is
 * below the limit; a single kind still full in one second goes to the negentropy enumerator when the relay has one,
 * else the second is reported as incomplete (never silently dropped). A part the relay refuses (auth-required,
 * restricted) is recorded as withheld and the walk goes on; only a refusal of the configured filter itself, or a
 * transport failure, stops the walk.
 */
import type { NostrEvent } from '../../models/event.js';
import type { Filter } from '../../nips/nip01/filter.js';
import type { ProbeReason, ProbeResult } from '../../utils/net/reasons.js';

/** Fetch every event the relay returns for one filter (REQ until EOSE). */
export type PageFetcher = (filter: Filter, signal: AbortSignal) => Promise<ProbeResult<NostrEvent[]>>;

/** Enumerate one second of one filter completely (negentropy): the events served and how many listed ids were not. */
export type SecondEnumerator = (
  second: number,
  filter: Filter,
  signal: AbortSignal,
) => Promise<{ readonly events: NostrEvent[]; readonly unserved: number } | undefined>;

/** How to walk. */
export interface WalkOpts {
  readonly since: number;
  readonly until: number;
  /** Our limit per REQ; lowered to the relay's real cap when a short page turns out not to be complete. */
  readonly limit: number;
  /** Receives events in batches (newest windows first); its promise is the back-pressure. */
  readonly emit: (events: NostrEvent[]) => Promise<void>;
  readonly enumerateSecond?: SecondEnumerator;
  /** Kinds the relay refuses to this reader: left out when a dense second is split by kind. */
  readonly withheldKinds?: ReadonlySet<number>;
  /** Short pages do not prove a range complete on this relay (see the module comment). */
  readonly shortPagesSuspect?: boolean;
  readonly signal: AbortSignal;
}

/** A second REQ could not enumerate: how many events of which filter were seen there. */
export interface IncompleteSecond {
  readonly second: number;
  readonly filter: Filter;
  readonly seen: number;
  readonly detail?: string;
}

/** A part of the window the relay refused to this reader (its kinds; a second when it was a dense second's part). */
export interface WithheldPart {
  readonly kinds: readonly number[];
  readonly since: number;
  readonly until: number;
  readonly reason: ProbeReason;
  /** Ids the relay listed (NIP-77) but did not serve. */
  readonly unserved?: number;
}

/** What a walk did. */
export interface WalkReport {
  requests: number;
  events: number;
  /** The limit the relay really applies, when it turned out lower than asked (learned from a short page). */
  limit: number;
  /** Whether short pages turned out (or were known) not to prove a range complete on this relay. */
  shortPagesSuspect: boolean;
  readonly incomplete: IncompleteSecond[];
  readonly withheld: WithheldPart[];
  failure?: { readonly reason: ProbeReason; readonly detail?: string };
}

const MAX_KIND = 65_535;
const FANOUT = 16;
/** Kinds per filter once a relay refused a broad part (NIP-01 sets no cap; validators seen cap at 20). */
const NARROW = 16;
/** Refusals that withhold a part (its kinds) from this reader rather than stop the walk. */
const WITHHOLDING: ReadonlySet<ProbeReason> = new Set(['auth-required', 'refused']);

/**
 * A page: its events, `refused` when the relay withheld this part, `too-broad` when it refused a dense second's
 * part as invalid (a relay that caps the kinds of a filter), or undefined when the walk must stop.
 */
type Page = NostrEvent[] | 'refused' | 'too-broad' | undefined;

/** Walk [since, until] of `base` (its since/until/limit are replaced). */
export async function walkWindow(fetch: PageFetcher, base: Filter, opts: WalkOpts): Promise<WalkReport> {
  const report: WalkReport = {
    requests: 0,
    events: 0,
    limit: opts.limit,
    shortPagesSuspect: opts.shortPagesSuspect === true,
    incomplete: [],
    withheld: [],
  };
  let checkedBelow = false;
  const { since: _s, until: _u, limit: _l, ...filter } = base;
  const page = async (f: Filter): Promise<Page> => {
    report.requests += 1;
    const r = await fetch({ ...f, limit: f.limit ?? report.limit }, opts.signal);
    if (r.ok) return r.value;
    // a refused filter that names kinds withholds those kinds from us; one that names none refuses us the relay
    if (WITHHOLDING.has(r.reason) && f.kinds) {
      report.withheld.push({ kinds: f.kinds, since: f.since ?? 0, until: f.until ?? 0, reason: r.reason });
      return 'refused';
    }
    if (r.reason === 'invalid' && f.kinds && f.kinds !== filter.kinds && f.since === f.until) return 'too-broad';
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
    if (events === undefined) break;
    if (events === 'refused' || events === 'too-broad' || events.length === 0) continue;
    const m = oldest(events);
    if (events.length < report.limit && !report.shortPagesSuspect && !checkedBelow && m > s) {
      // is a short page complete? Once per walk, look below its oldest second: a relay that capped below our
      // limit, or left restricted events out after applying it, has more there
      checkedBelow = true;
      const below = await page({ ...filter, since: s, until: m - 1, limit: 1 });
      if (below === undefined) break;
      if (below !== 'refused' && below.length > 0) {
        report.limit = events.length;
        report.shortPagesSuspect = true;
      }
    }
    if (events.length >= report.limit && m === u) {
      // the page is all one second: enumerate it by splitting, then go on below it
      await denseSecond(u, filter, events, page, emit, opts, report);
      if (s < u) stack.push([s, u - 1]);
      continue;
    }
    if (events.length >= report.limit || (report.shortPagesSuspect && m < u)) {
      // everything newer than m was seen; m itself may have been cut by the limit: it is asked again
      await emit(events.filter((e) => e.created_at > m));
      stack.push([s, m]);
      continue;
    }
    await emit(events);
    if (report.shortPagesSuspect && s < m) stack.push([s, m - 1]);
  }
  return report;
}

/** The oldest created_at of a page (a loop: a hostile page can be too long to spread into Math.min). */
export function oldest(events: readonly NostrEvent[]): number {
  let m = Number.POSITIVE_INFINITY;
  for (const e of events) if (e.created_at < m) m = e.created_at;
  return m;
}

async function denseSecond(
  second: number,
  filter: Filter,
  seenFirst: readonly NostrEvent[],
  page: (f: Filter) => Promise<Page>,
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
  const withheld = opts.withheldKinds ?? new Set<number>();
  const kinds = (filter.kinds ?? range(0, MAX_KIND)).filter((k) => !withheld.has(k));
  const pending: number[][] = filter.kinds ? [kinds] : splitList(kinds);
  let narrowed = false;
  while (pending.length > 0 && !opts.signal.aborted && !report.failure) {
    const part = pending.pop() as number[];
    const f: Filter = { ...filter, kinds: part, since: second, until: second };
    const events = await page(f);
    if (events === undefined) return;
    if (events === 'refused') continue;
    if (events === 'too-broad') {
      if (part.length > 1 && !narrowed) {
        // the relay caps the kinds of a filter: ask the kinds the second is known to hold a few at a time, and
        // report the other kinds of the second as unlistable (nothing proves them absent)
        narrowed = true;
        const known = [...new Set(seenFirst.map((e) => e.kind))].filter((k) => !withheld.has(k)).sort((a, b) => a - b);
        pending.length = 0;
        for (let i = 0; i < known.length; i += NARROW) pending.push(known.slice(i, i + NARROW));
        const rest = kinds.filter((k) => !known.includes(k));
        report.incomplete.push({
          second,
          filter: { ...filter, kinds: rest },
          seen: 0,
          detail: `the relay refused ${part.length} kinds in one filter: only the kinds of the second's first page were listed`,
        });
      } else if (part.length > 1) {
        pending.push(...part.map((k) => [k]));
      } else {
        report.incomplete.push({ second, filter: f, seen: 0, detail: 'the relay refused the filter as invalid' });
      }
      continue;
    }
    await emit(fresh(events));
    if (events.length < report.limit) continue;
    if (part.length > 1) {
      pending.push(...splitList(part));
      continue;
    }
    const all = opts.enumerateSecond ? await opts.enumerateSecond(second, f, opts.signal) : undefined;
    if (all) {
      await emit(fresh(all.events));
      if (all.unserved > 0) {
        report.withheld.push({ kinds: part, since: second, until: second, reason: 'refused', unserved: all.unserved });
      }
    } else {
      report.incomplete.push({ second, filter: f, seen: events.length });
    }
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** A kind list split into up to FANOUT contiguous parts. */
function splitList(kinds: readonly number[]): number[][] {
  const size = Math.ceil(kinds.length / FANOUT);
  const out: number[][] = [];
  for (let i = 0; i < kinds.length; i += size) out.push(kinds.slice(i, i + size));
  return out;
}
