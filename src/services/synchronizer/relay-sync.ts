/**
 * One relay's sync in a cycle, as a chain of steps (docs/design/synchronizer.md):
 *   1. read its state once (relay-state.ts): cursor and checkpoint; a relay that wants payment waits;
 *   2. connect; probe what it withholds from us (restrictions.ts) and whether it speaks NIP-77 (remembered);
 *   3. re-check the trailing span before the cursor for late events (recheck.ts);
 *   4. walk forward from the cursor to the cycle's end: reconciled windows (negentropy.ts) where the relay speaks
 *      NIP-77 and one filter is configured, REQ windows (req-walk.ts) otherwise or for the rest after a
 *      negentropy failure; no window is walked twice;
 *   5. write the outcome into its checkpoint, and say why when the walk did not reach the end.
 */
import type { Logger } from '../../core/logger.js';
import type { ServiceMetrics } from '../../core/metrics.js';
import type { NostrEvent } from '../../models/event.js';
import type { Relay } from '../../models/relay.js';
import type { JsonObject } from '../../models/service-state.js';
import { connectRelay, type RelayConnection } from '../../nips/nip01/connection.js';
import type { Filter } from '../../nips/nip01/filter.js';
import { networkConnectOpts } from '../../nips/nip01/network-opts.js';
import { reconcileWithRelay } from '../../nips/nip77/reconcile.js';
import type { EventSigner } from '../../nips/signer.js';
import type { Resolver } from '../../utils/net/resolve.js';
import type { SynchronizerConfig } from './config.js';
import { connectionFetcher } from './fetch.js';
import { negentropyEnumerator, negentropyWalk } from './negentropy.js';
import { advertisedMaxLimit, heldItems } from './queries.js';
import { recheckTrailing } from './recheck.js';
import { mergeStatus, previousStatus, readRelayState, type SyncStatus, writeCheckpoint } from './relay-state.js';
import { plainWindows, type ReqWalkDeps, reqWalk, type Tally } from './req-walk.js';
import { probeRestrictions } from './restrictions.js';
import type { EventWriter } from './writer.js';

/** What a relay's sync needs. */
export interface RelaySyncDeps {
  readonly sql: import('postgres').Sql;
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  readonly writer: EventWriter;
  readonly filters: readonly Filter[];
  readonly config: SynchronizerConfig;
  readonly now: () => number;
  readonly signer?: EventSigner;
  readonly resolver?: Resolver;
}

/** How a relay's sync ended: `complete` when it reached the cycle's end. */
export interface RelaySyncResult {
  readonly complete: boolean;
  readonly reason?: string;
}

/** Connect to `relay` with the cycle's network options. */
export function openRelay(relay: Relay, d: RelaySyncDeps, signal: AbortSignal) {
  return connectRelay(relay.url, {
    ...networkConnectOpts(relay.network, d.config.networks, {
      allowInsecure: d.config.processing.allow_insecure,
      resolver: d.resolver,
      signal,
    }),
    ...(d.signer ? { signer: d.signer } : {}),
  });
}

/** Bring `relay` up to `end` (inclusive). Never throws: a failure is the relay's outcome, logged and stored. */
export async function syncRelay(
  relay: Relay,
  end: number,
  d: RelaySyncDeps,
  signal: AbortSignal,
): Promise<RelaySyncResult> {
  const log = d.logger.child({ relay: relay.url });
  const state = await readRelayState(d.sql, relay.url);
  const paidAt = Number(state.checkpoint.payment_required_at ?? 0);
  if (d.now() - paidAt < d.config.processing.negentropy_reprobe) {
    log.debug('relay_skipped_payment_required', { since: paidAt });
    return { complete: false, reason: 'payment-required' };
  }
  const from = Math.max(d.config.processing.since, state.cursor ?? d.config.processing.since);
  if (from >= end) return { complete: true };
  const patch: Record<string, unknown> = {};
  const tally: Tally = {
    limit: Math.min(d.config.processing.limit, await advertisedMaxLimit(d.sql, relay.url)),
    suspect: state.checkpoint.short_pages_suspect === true,
    requests: 0,
    withheld: new Map(),
    unserved: 0,
    gaps: [],
  };
  let reached = from - 1;
  let late = 0;
  let failure: { reason: string; detail?: string } | undefined;
  try {
    const opened = await openRelay(relay, d, signal);
    if (!opened.ok) {
      failure = { reason: opened.reason, ...(opened.detail ? { detail: opened.detail } : {}) };
    } else {
      await using conn = opened.value;
      try {
        const walked = await walkRelay(conn, relay, { from, end, state, patch, tally, d, signal });
        reached = walked.reached;
        late = walked.late;
        failure = walked.failure;
      } finally {
        // every byte of the connection, both ways (what negentropy saves shows here)
        d.metrics.inc('relay_bytes', conn.stats.bytesIn + conn.stats.bytesOut);
      }
    }
  } catch (err) {
    failure = { reason: 'error', detail: (err as Error).message };
  }
  if (signal.aborted && (failure || reached < end)) {
    failure = { reason: 'cycle-ended', detail: 'the cycle reached its deadline or was stopped before this relay' };
  }
  // a second no REQ could list (one kind past the relay's limit, no NIP-77) leaves the archive incomplete
  const gaps = tally.gaps.length > 0 ? `${tally.gaps.length} second(s) could not be listed` : undefined;
  const incomplete = failure ?? (gaps ? { reason: 'unlistable-second', detail: gaps } : undefined);
  const status: SyncStatus = {
    complete: incomplete === undefined,
    reason: incomplete?.reason ?? null,
    ...(incomplete?.detail ? { detail: incomplete.detail.slice(0, 300) } : {}),
    resume_at: reached >= from ? reached : (state.cursor ?? null),
    withheld: Object.fromEntries(tally.withheld),
    unserved: tally.unserved,
    gaps: tally.gaps,
    late,
    updated_at: d.now(),
  };
  report(log, d.metrics, status, tally);
  if (failure?.reason === 'payment-required') patch.payment_required_at = d.now();
  patch.short_pages_suspect = tally.suspect;
  patch.sync = mergeStatus(previousStatus(state.checkpoint), status);
  try {
    await writeCheckpoint(d.sql, relay.url, state.checkpoint, patch as JsonObject);
  } catch (err) {
    log.warn('relay_state_write_failed', { error: (err as Error).message });
  }
  return failure ? { complete: false, reason: failure.reason } : { complete: true };
}

/** Logs and metrics of a relay's outcome: a warning for every relay not completed, withheld or with gaps. */
function report(log: Logger, metrics: ServiceMetrics, status: SyncStatus, tally: Tally): void {
  metrics.inc('req_requests', tally.requests);
  if (!status.complete) {
    log.warn('relay_incomplete', { reason: status.reason, detail: status.detail, resume_at: status.resume_at });
    metrics.inc('relays_incomplete');
    metrics.inc(`relay_errors_${String(status.reason).replaceAll('-', '_')}`);
  }
  const kinds = Object.keys(status.withheld);
  if (kinds.length > 0 || status.unserved > 0) {
    log.warn('relay_withheld', { kinds: kinds.join(','), unserved: status.unserved });
    metrics.inc('relays_withholding');
    metrics.inc('events_withheld', status.unserved);
  }
  if (status.gaps.length > 0) {
    for (const gap of status.gaps) log.warn('window_incomplete', { second: gap.second, seen: gap.seen });
    metrics.inc('windows_possibly_incomplete', status.gaps.length);
  }
  if (status.late > 0) metrics.inc('events_late', status.late);
}

interface WalkInput {
  readonly from: number;
  readonly end: number;
  readonly state: { readonly cursor: number | undefined; readonly checkpoint: JsonObject };
  readonly patch: Record<string, unknown>;
  readonly tally: Tally;
  readonly d: RelaySyncDeps;
  readonly signal: AbortSignal;
}

/** Steps 2 to 4 on an open connection: how far the walk got, the late events found, and why it stopped. */
async function walkRelay(
  conn: RelayConnection,
  relay: Relay,
  w: WalkInput,
): Promise<{ reached: number; late: number; failure?: { reason: string; detail?: string } }> {
  const { d, tally, signal } = w;
  const fetch = connectionFetcher(conn, { idleTimeoutMs: d.config.timeouts.idle * 1000 });
  const restrictions = await probeRestrictions(conn, fetch, d.config.processing.restricted_kinds_probe, signal);
  tally.requests += restrictions.requests;
  tally.suspect ||= restrictions.restricts;
  for (const kind of restrictions.withheld.keys()) tally.withheld.set(kind, null);
  const nip77 = d.config.processing.negentropy && (await negentropySupported(conn, relay, w, signal));
  const emit = (events: NostrEvent[]) => d.writer.add(relay, events);
  const walkDeps: ReqWalkDeps = {
    fetch,
    filters: d.filters,
    emit,
    withheldKinds: new Set(restrictions.withheld.keys()),
    ...(nip77 ? { enumerateSecond: negentropyEnumerator(conn, fetch) } : {}),
    signal,
  };
  const single = nip77 && d.filters.length === 1 ? (d.filters[0] as Filter) : undefined;
  const held = (s: number, u: number) => heldItems(d.sql, relay.url, s, u);

  let late = 0;
  if (w.state.cursor !== undefined) {
    late = await recheckTrailing(conn, {
      cursor: w.state.cursor,
      config: d.config,
      negentropyFilter: single,
      walk: walkDeps,
      held,
      tally,
      log: d.logger.child({ relay: relay.url }),
      metrics: d.metrics,
    });
  }

  const mark = (until: number): void => d.writer.mark(relay, { timestamp: until });
  let since = w.from;
  if (single) {
    const before = { in: conn.stats.bytesIn, out: conn.stats.bytesOut };
    const neg = await negentropyWalk(conn, fetch, single, {
      since,
      until: w.end,
      held,
      emit,
      windowDone: mark,
      signal,
      plain: plainWindows(walkDeps, tally, mark),
    });
    d.metrics.inc('negentropy_windows', neg.windows);
    d.metrics.inc('negentropy_requests', neg.requests);
    d.metrics.inc('negentropy_blocked', neg.blocked);
    d.metrics.inc('negentropy_narrowed', neg.narrowed);
    d.metrics.inc('negentropy_events_fetched', neg.fetched);
    d.metrics.inc('negentropy_events_skipped', neg.skipped);
    d.metrics.inc('negentropy_bytes', conn.stats.bytesIn + conn.stats.bytesOut - before.in - before.out);
    tally.unserved += neg.unserved;
    if (neg.reachedUntil !== undefined) since = neg.reachedUntil + 1;
    if (since > w.end) return { reached: w.end, late };
    if (signal.aborted) return { reached: since - 1, late };
    if (neg.failure?.stage === 'req') {
      // the REQ walk of a window failed: walking it again in this cycle would meet the same failure
      return { reached: since - 1, late, failure: { reason: neg.failure.reason, detail: neg.failure.detail } };
    }
    if (neg.failure) {
      d.metrics.inc('negentropy_fallbacks');
      d.logger.info('negentropy_fallback', { relay: relay.url, reason: neg.failure.reason, from: since });
    }
  }
  let reached = since - 1;
  const walked = await reqWalk(
    {
      since,
      until: w.end,
      mark: (until) => {
        reached = until;
        mark(until);
      },
    },
    walkDeps,
    tally,
  );
  if (walked.ok) return { reached: w.end, late };
  return { reached, late, failure: { reason: walked.reason, ...(walked.detail ? { detail: walked.detail } : {}) } };
}

/**
 * Whether the relay answers NEG-OPEN, from the remembered probe (`nip77`, `probed_at` in the checkpoint) or a
 * fresh probe: reconciling an empty one-second window (a NOTICE during it means no). A fresh answer goes into the
 * checkpoint patch.
 */
async function negentropySupported(
  conn: RelayConnection,
  relay: Relay,
  w: WalkInput,
  signal: AbortSignal,
): Promise<boolean> {
  const { d, state, patch } = w;
  const now = d.now();
  const probedAt = Number(state.checkpoint.probed_at ?? 0);
  if ('nip77' in state.checkpoint && now - probedAt < d.config.processing.negentropy_reprobe) {
    return state.checkpoint.nip77 === true;
  }
  const timeoutMs = d.config.networks[relay.network].timeout * 1000;
  // a relay that does not know NEG-OPEN usually says so in a NOTICE: that ends the probe early
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  const noticed = conn.waitForNotice(stop.signal).then((n) => n !== undefined && stop.abort());
  try {
    const probe = await reconcileWithRelay(conn, { since: 0, until: 0 }, [], { signal: stop.signal, timeoutMs });
    patch.nip77 = probe.ok;
    patch.probed_at = now;
    d.logger.debug('negentropy_probed', { relay: relay.url, nip77: probe.ok });
    return probe.ok;
  } finally {
    signal.removeEventListener('abort', onAbort);
    stop.abort();
    await noticed;
  }
}
