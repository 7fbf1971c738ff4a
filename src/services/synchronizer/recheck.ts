/**
 * The trailing re-check: events that reach a relay after the cursor passed their `created_at` (backdated,
 * delayed, rebroadcast) are found by looking again at the span just before the cursor, every cycle. Where the
 * relay speaks NIP-77 the span (`recheck_span`, a day by default) is reconciled against what we hold from it and
 * only the missing events are fetched; otherwise a shorter span (`recheck_req_span`, an hour) is walked again
 * with REQ pages. The re-check never moves the cursor, and its failure is logged and leaves the forward walk be.
 */
import type { Logger } from '../../core/logger.js';
import type { ServiceMetrics } from '../../core/metrics.js';
import type { NostrEvent } from '../../models/event.js';
import type { RelayConnection } from '../../nips/nip01/connection.js';
import type { Filter } from '../../nips/nip01/filter.js';
import type { SynchronizerConfig } from './config.js';
import { type HeldSet, negentropyWalk } from './negentropy.js';
import { plainWindows, type ReqWalkDeps, reqWalk, type Tally } from './req-walk.js';

/** What the re-check needs. */
export interface RecheckInput {
  readonly cursor: number;
  readonly config: SynchronizerConfig;
  /** The one configured filter, where the relay speaks NIP-77; otherwise the span is walked with REQ. */
  readonly negentropyFilter: Filter | undefined;
  readonly walk: ReqWalkDeps;
  readonly held: (since: number, until: number) => Promise<HeldSet>;
  readonly tally: Tally;
  readonly log: Logger;
  readonly metrics: ServiceMetrics;
}

/** Re-check the span before the cursor; returns how many events we did not hold from this relay there. */
export async function recheckTrailing(conn: RelayConnection, r: RecheckInput): Promise<number> {
  const p = r.config.processing;
  const width = r.negentropyFilter ? p.recheck_span : p.recheck_req_span;
  if (width === 0) return 0;
  const since = Math.max(p.since, r.cursor - width + 1);
  const until = r.cursor;
  const before = conn.stats.bytesIn + conn.stats.bytesOut;
  const requestsBefore = r.tally.requests;
  let late = 0;
  let failure: string | undefined;
  if (r.negentropyFilter) {
    const neg = await negentropyWalk(conn, r.walk.fetch, r.negentropyFilter, {
      since,
      until,
      held: r.held,
      emit: r.walk.emit,
      windowDone: () => {},
      signal: r.walk.signal,
      plain: plainWindows(r.walk, r.tally),
    });
    r.tally.requests += neg.requests;
    late = neg.fetched;
    if (neg.failure) failure = `${neg.failure.reason}: ${neg.failure.detail}`;
  } else {
    const heldIds = idsOf(await r.held(since, until));
    const emit = async (events: NostrEvent[]) => {
      for (const e of events) if (!heldIds.has(e.id)) late += 1;
      await r.walk.emit(events);
    };
    const walked = await reqWalk({ since, until }, { ...r.walk, emit }, r.tally);
    if (!walked.ok) failure = `${walked.reason}: ${walked.detail ?? ''}`;
  }
  r.metrics.inc('recheck_requests', r.tally.requests - requestsBefore);
  r.metrics.inc('recheck_bytes', conn.stats.bytesIn + conn.stats.bytesOut - before);
  if (failure && !r.walk.signal.aborted) r.log.warn('recheck_failed', { since, until, reason: failure });
  if (late > 0) r.log.info('late_events_found', { since, until, events: late });
  return late;
}

function idsOf(set: HeldSet): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i + 32 <= set.ids.length; i += 32) out.add(set.ids.toString('hex', i, i + 32));
  return out;
}
