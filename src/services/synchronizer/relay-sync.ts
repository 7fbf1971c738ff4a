/**
 * One relay's catch-up: from its cursor to the cycle's end, oldest first, in windows. Where the relay really
 * speaks NIP-77 (probed once, the answer remembered for `negentropy_reprobe`) and one filter is configured,
 * windows are reconciled against what we hold from it and only the missing ids are fetched; on any negentropy
 * error the rest of the span is walked with REQ windows (windows.ts). Every completed window marks the cursor
 * in the writer, which commits it with the events it covers.
 */
import { getServiceState, upsertServiceState } from '../../core/db/store.js';
import type { Logger } from '../../core/logger.js';
import type { ServiceMetrics } from '../../core/metrics.js';
import type { NostrEvent } from '../../models/event.js';
import type { Relay } from '../../models/relay.js';
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
import type { PageFetcher } from './windows.js';
import { walkWindow } from './windows.js';
import type { EventWriter } from './writer.js';

const DAY = 86_400;

/** What a relay's catch-up needs. */
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

/** How a relay's catch-up ended: `complete` when it reached the end. */
export interface RelaySyncResult {
  readonly complete: boolean;
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

/** Bring `relay` up to `end` (inclusive). */
export async function syncRelay(
  relay: Relay,
  end: number,
  d: RelaySyncDeps,
  signal: AbortSignal,
): Promise<RelaySyncResult> {
  const log = d.logger.child({ relay: relay.url });
  const [state] = await getServiceState(d.sql, 'synchronizer', 'cursor', relay.url);
  const [checkpoint] = await getServiceState(d.sql, 'synchronizer', 'checkpoint', relay.url);
  const paidAt = Number(checkpoint?.stateValue.payment_required_at ?? 0);
  if (d.now() - paidAt < d.config.processing.negentropy_reprobe) {
    log.debug('relay_skipped_payment_required', { since: paidAt });
    return { complete: false };
  }
  let since = Math.max(d.config.processing.since, Number(state?.stateValue.timestamp ?? d.config.processing.since));
  if (since >= end) return { complete: true };
  const opened = await openRelay(relay, d, signal);
  if (!opened.ok) {
    log.info('relay_unreachable', { reason: opened.reason });
    d.metrics.inc(`relay_errors_${opened.reason.replaceAll('-', '_')}`);
    return { complete: false };
  }
  await using conn = opened.value;
  try {
    const fetch = connectionFetcher(conn, { idleTimeoutMs: d.config.timeouts.idle * 1000 });
    const emit = (events: NostrEvent[]) => d.writer.add(relay, events);
    const mark = (until: number): void => d.writer.mark(relay, { timestamp: until });
    const nip77 = d.config.processing.negentropy && (await negentropySupported(conn, relay, d, signal));

    if (nip77 && d.filters.length === 1) {
      const before = { in: conn.stats.bytesIn, out: conn.stats.bytesOut };
      const report = await negentropyWalk(conn, fetch, d.filters[0] as Filter, {
        since,
        until: end,
        held: (s, u) => heldItems(d.sql, relay.url, s, u),
        emit,
        windowDone: mark,
        signal,
        plain: async (s, u) => {
          const r = await reqWalk(conn, fetch, relay, { since: s, end: u, emit, mark, nip77 }, d, signal);
          return r.complete ? r.events : undefined;
        },
      });
      d.metrics.inc('negentropy_windows', report.windows);
      d.metrics.inc('negentropy_requests', report.requests);
      d.metrics.inc('negentropy_blocked', report.blocked);
      d.metrics.inc('negentropy_narrowed', report.narrowed);
      d.metrics.inc('negentropy_events_fetched', report.fetched);
      d.metrics.inc('negentropy_events_skipped', report.skipped);
      d.metrics.inc('negentropy_bytes', conn.stats.bytesIn + conn.stats.bytesOut - before.in - before.out);
      if (report.reachedUntil !== undefined) since = report.reachedUntil + 1;
      if (since > end) return { complete: true };
      if (signal.aborted) return { complete: false };
      if (report.failure) {
        d.metrics.inc('negentropy_fallbacks');
        log.info('negentropy_fallback', { reason: report.failure, from: since });
      }
    }
    return await reqWalk(conn, fetch, relay, { since, end, emit, mark, nip77 }, d, signal);
  } finally {
    // every byte of the connection, both ways (what negentropy saves shows here)
    d.metrics.inc('relay_bytes', conn.stats.bytesIn + conn.stats.bytesOut);
  }
}

/** Walk [since, end] with REQ windows: a day, doubling while empty. `events`: how many it emitted. */
async function reqWalk(
  conn: RelayConnection,
  fetch: PageFetcher,
  relay: Relay,
  o: {
    since: number;
    end: number;
    emit: (events: NostrEvent[]) => Promise<void>;
    mark: (until: number) => void;
    nip77: boolean;
  },
  d: RelaySyncDeps,
  signal: AbortSignal,
): Promise<RelaySyncResult & { events: number }> {
  const log = d.logger.child({ relay: relay.url });
  const enumerateSecond = o.nip77 ? negentropyEnumerator(conn, fetch) : undefined;
  let limit = Math.min(d.config.processing.limit, await advertisedMaxLimit(d.sql, relay.url));
  let span = DAY;
  let since = o.since;
  let events = 0;
  while (since <= o.end && !signal.aborted) {
    const until = Math.min(o.end, since + span - 1);
    let windowEvents = 0;
    for (const filter of d.filters) {
      const report = await walkWindow(fetch, filter, {
        since,
        until,
        limit,
        emit: o.emit,
        ...(enumerateSecond ? { enumerateSecond } : {}),
        signal,
      });
      limit = report.limit; // a cap learned on this relay holds for its next windows
      windowEvents += report.events;
      d.metrics.inc('req_requests', report.requests);
      for (const gap of report.incomplete)
        log.warn('window_possibly_incomplete', { second: gap.second, seen: gap.seen });
      d.metrics.inc('windows_possibly_incomplete', report.incomplete.length);
      if (report.failure) {
        log.info('relay_sync_stopped', { reason: report.failure.reason, at: since });
        d.metrics.inc(`relay_errors_${report.failure.reason.replaceAll('-', '_')}`);
        if (report.failure.reason === 'payment-required') await recordPaid(d, relay);
        return { complete: false, events };
      }
      if (signal.aborted) return { complete: false, events };
    }
    events += windowEvents;
    o.mark(until);
    span = windowEvents === 0 ? span * 2 : DAY;
    since = until + 1;
  }
  return { complete: since > o.end, events };
}

/**
 * Whether the relay answers NEG-OPEN, from the remembered probe (`(synchronizer, checkpoint, url)` =
 * `{nip77, probed_at}`) or a fresh probe: reconciling an empty one-second window (a NOTICE during it means no).
 */
async function negentropySupported(
  conn: RelayConnection,
  relay: Relay,
  d: RelaySyncDeps,
  signal: AbortSignal,
): Promise<boolean> {
  const now = d.now();
  const [state] = await getServiceState(d.sql, 'synchronizer', 'checkpoint', relay.url);
  const probedAt = Number(state?.stateValue.probed_at ?? 0);
  if (state && now - probedAt < d.config.processing.negentropy_reprobe) return state.stateValue.nip77 === true;
  const timeoutMs = d.config.networks[relay.network].timeout * 1000;
  // a relay that does not know NEG-OPEN usually says so in a NOTICE: that ends the probe early
  const stop = new AbortController();
  const noticed = conn.waitForNotice(stop.signal).then((n) => n !== undefined && stop.abort());
  const probe = await reconcileWithRelay(conn, { since: 0, until: 0 }, [], {
    signal: AbortSignal.any([signal, stop.signal]),
    timeoutMs,
  });
  stop.abort();
  await noticed;
  const nip77 = probe.ok;
  await upsertServiceState(d.sql, [
    {
      serviceName: 'synchronizer',
      stateType: 'checkpoint',
      stateKey: relay.url,
      stateValue: { ...(state?.stateValue ?? {}), nip77, probed_at: now },
    },
  ]);
  d.logger.debug('negentropy_probed', { relay: relay.url, nip77 });
  return nip77;
}

/**
 * A relay that wants payment to be read is recorded in its checkpoint (`payment_required_at`) and skipped
 * until the re-probe interval has passed (NIP-42 AUTH alone was answered already by the subscription).
 */
async function recordPaid(d: RelaySyncDeps, relay: Relay): Promise<void> {
  const [state] = await getServiceState(d.sql, 'synchronizer', 'checkpoint', relay.url);
  await upsertServiceState(d.sql, [
    {
      serviceName: 'synchronizer',
      stateType: 'checkpoint',
      stateKey: relay.url,
      stateValue: { ...(state?.stateValue ?? {}), payment_required_at: d.now() },
    },
  ]);
}
