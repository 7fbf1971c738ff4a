/**
 * A span of a relay walked with REQ windows, oldest first: a day, doubling while empty, each window walked to
 * completeness for every configured filter (windows.ts) and then marked, so the writer commits the cursor with
 * the window's events. What the relay withheld and the seconds it could not enumerate are added to the tally;
 * the walk stops only on a failure of the configured filter itself.
 */
import type { NostrEvent } from '../../models/event.js';
import { fail, ok } from '../../models/result.js';
import type { Filter } from '../../nips/nip01/filter.js';
import type { ProbeResult } from '../../utils/net/reasons.js';
import { type HeldSet, heldSetOf } from './negentropy.js';
import { type Gap, gapOf } from './relay-state.js';
import { type PageFetcher, type SecondEnumerator, walkWindow } from './windows.js';

const DAY = 86_400;

/** What a relay's walks found, over the whole cycle (forward walk and re-check). */
export interface Tally {
  /** The limit the relay really applies (lowered when learned). */
  limit: number;
  /** Short pages do not prove a range complete on this relay. */
  suspect: boolean;
  requests: number;
  readonly withheld: Map<number, number | null>;
  unserved: number;
  readonly gaps: Gap[];
}

/** A span to walk. */
export interface ReqSpan {
  readonly since: number;
  readonly until: number;
  /** Called with the end of each completed window (a re-check passes nothing: it never moves the cursor). */
  readonly mark?: (until: number) => void;
}

/** What the walk needs. */
export interface ReqWalkDeps {
  readonly fetch: PageFetcher;
  readonly filters: readonly Filter[];
  readonly emit: (events: NostrEvent[]) => Promise<void>;
  readonly withheldKinds: ReadonlySet<number>;
  readonly enumerateSecond?: SecondEnumerator;
  readonly signal: AbortSignal;
}

/** Walk `span`; the number of events emitted, or why it stopped. */
export async function reqWalk(span: ReqSpan, d: ReqWalkDeps, tally: Tally): Promise<ProbeResult<number>> {
  let width = DAY;
  let since = span.since;
  let events = 0;
  while (since <= span.until) {
    if (d.signal.aborted) return fail('timeout', 'the cycle ended');
    const until = Math.min(span.until, since + width - 1);
    let windowEvents = 0;
    for (const filter of d.filters) {
      const report = await walkWindow(d.fetch, filter, {
        since,
        until,
        limit: tally.limit,
        emit: d.emit,
        withheldKinds: d.withheldKinds,
        shortPagesSuspect: tally.suspect,
        ...(d.enumerateSecond ? { enumerateSecond: d.enumerateSecond } : {}),
        signal: d.signal,
      });
      tally.limit = report.limit; // a cap learned on this relay holds for its next windows
      tally.suspect = report.shortPagesSuspect;
      tally.requests += report.requests;
      windowEvents += report.events;
      for (const part of report.withheld) {
        for (const kind of part.kinds) tally.withheld.set(kind, tally.withheld.get(kind) ?? null);
        tally.unserved += part.unserved ?? 0;
      }
      for (const gap of report.incomplete) {
        tally.gaps.push(gapOf(gap.second, gap.filter.kinds ?? [], gap.seen, gap.detail));
      }
      if (report.failure) return fail(report.failure.reason, report.failure.detail);
      if (d.signal.aborted) return fail('timeout', 'the cycle ended');
    }
    events += windowEvents;
    span.mark?.(until);
    width = windowEvents === 0 ? width * 2 : DAY;
    since = until + 1;
  }
  return ok(events);
}

/**
 * The REQ walk of a window we hold nothing from, for the negentropy walk. On a relay that withholds events from
 * us (`tally.suspect`) it also hands back what it saw, so the window is then reconciled against it: the
 * reconciliation lists what the relay withholds and proves (or completes) what the REQ walk found.
 */
export function plainWindows(d: ReqWalkDeps, tally: Tally, mark?: (until: number) => void) {
  return async (since: number, until: number): Promise<ProbeResult<{ events: number; seen?: HeldSet }>> => {
    const verify = tally.suspect;
    const seen: { created_at: number; id: string }[] = [];
    const emit = async (events: NostrEvent[]): Promise<void> => {
      if (verify) for (const e of events) seen.push({ created_at: e.created_at, id: e.id });
      await d.emit(events);
    };
    const walked = await reqWalk({ since, until, ...(mark ? { mark } : {}) }, { ...d, emit }, tally);
    if (!walked.ok) return walked;
    return ok({ events: walked.value, ...(verify ? { seen: heldSetOf(seen) } : {}) });
  };
}
