/**
 * The finder's event phase: page through the events archived per relay after that relay's cursor,
 * extract the relay URLs they mention and store them as candidates. Candidates and the cursor are written
 * together, so a cursor never points past rows whose URLs were not stored.
 */
import { insertCandidates, type NewCandidate } from '../../core/db/candidates.js';
import { upsertServiceState } from '../../core/db/store.js';
import { nowSeconds } from '../../core/service-deps.js';
import type { FinderConfig } from './config.js';
import { type FinderDeps, storeOpts } from './deps.js';
import { extractRelayUrls, normalizeCandidates } from './extract.js';
import { runPool } from './pacing.js';
import { type EventCursor, listRelayUrls, loadCursors, scanRelayPage } from './queries.js';

/** What one event phase did (the numbers behind the metrics). */
export interface EventPhaseResult {
  relaysSeen: number;
  rowsSeen: number;
  inserted: number;
  invalidUrls: number;
  /** The phase stopped before every relay was scanned to its end (time budget or shutdown). */
  stoppedEarly: boolean;
}

interface Scan {
  readonly deps: FinderDeps;
  readonly config: FinderConfig['events'];
  readonly monitorPubkeys: ReadonlySet<string>;
  readonly clock: () => number;
  readonly phaseEnd: number;
  readonly signal: AbortSignal;
  readonly totals: EventPhaseResult;
}

/** Scan every relay's new events, `parallel_relays` at a time, within the per-relay and per-phase budgets. */
export async function runEventPhase(
  deps: FinderDeps,
  config: FinderConfig,
  signal: AbortSignal,
): Promise<EventPhaseResult> {
  const clock = deps.clockMs ?? Date.now;
  const ev = config.events;
  const scan: Scan = {
    deps,
    config: ev,
    monitorPubkeys: new Set(config.monitors.enabled ? config.monitors.pubkeys : []),
    clock,
    phaseEnd: clock() + ev.max_duration * 1000,
    signal,
    totals: { relaysSeen: 0, rowsSeen: 0, inserted: 0, invalidUrls: 0, stoppedEarly: false },
  };
  const relays = await listRelayUrls(deps.sql);
  const cursors = await loadCursors(deps.sql);
  const canStart = (): boolean => !signal.aborted && clock() < scan.phaseEnd;
  await runPool(relays, ev.parallel_relays, (url) => scanRelay(scan, url, cursors.get(url)), canStart);
  if (scan.totals.relaysSeen < relays.length) scan.totals.stoppedEarly = true;
  return scan.totals;
}

/** Scan one relay from `start` until its rows run out or a budget ends, flushing every `batch_size` URLs. */
async function scanRelay(scan: Scan, url: string, start: EventCursor | undefined): Promise<void> {
  const { deps, config, clock, signal, totals } = scan;
  const end = Math.min(scan.phaseEnd, clock() + config.max_relay_time * 1000);
  const pending = new Map<string, NewCandidate>();
  let cursor = start;
  let flushed = start;
  let rows = 0;
  let inserted = 0;
  const flush = async (): Promise<void> => {
    if (cursor === flushed || cursor === undefined) return;
    inserted += await writeBatch(deps, url, [...pending.values()], cursor);
    pending.clear();
    flushed = cursor;
  };
  totals.relaysSeen += 1;
  let exhausted = false;
  while (!signal.aborted && clock() < end) {
    const page = await scanRelayPage(deps.sql, url, cursor, config.scan_size);
    for (const row of page) {
      const found = normalizeCandidates(extractRelayUrls(row, { monitorPubkeys: scan.monitorPubkeys }), {
        allowLocal: deps.allowLocalRelays ?? false,
      });
      totals.invalidUrls += found.invalid;
      for (const c of found.candidates) pending.set(c.url, c);
      cursor = { timestamp: row.seenAt, id: row.eventId };
      rows += 1;
      if (pending.size >= config.batch_size) await flush();
    }
    totals.rowsSeen += page.length;
    if (page.length < config.scan_size) {
      exhausted = true;
      break;
    }
  }
  await flush();
  totals.inserted += inserted;
  if (!exhausted) totals.stoppedEarly = true;
  deps.logger.debug('relay_scanned', { relay: url, rows, inserted, complete: exhausted });
}

/** Store candidates and advance the relay's cursor in one transaction. Returns the new candidates. */
async function writeBatch(
  deps: FinderDeps,
  relayUrl: string,
  candidates: readonly NewCandidate[],
  cursor: EventCursor,
): Promise<number> {
  const now = nowSeconds(deps);
  return deps.sql.begin(async (tx) => {
    const n = candidates.length > 0 ? await insertCandidates(tx, candidates, now, storeOpts(deps)) : 0;
    await upsertServiceState(tx, [
      {
        serviceName: 'finder',
        stateType: 'cursor',
        stateKey: relayUrl,
        stateValue: { timestamp: cursor.timestamp, id: cursor.id },
      },
    ]);
    return n;
  });
}
