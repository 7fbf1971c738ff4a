/**
 * Synchronizer (spec 05): every event of every relay into PostgreSQL with provenance. Relays are claimed under
 * leases, most behind first; each relay's span [cursor, end] is walked in windows oldest first (a day,
 * doubling while empty), each window to completeness (windows.ts); its events are deduped, verified on the
 * worker pool and stored, and the cursor moves to a window's end only after that window's events are committed,
 * so a crash never skips data.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { enabledNetworks } from '../../core/config/service.js';
import { claimDueRelays, cleanupRelayState, releaseLeases } from '../../core/db/relay-leases.js';
import { getServiceState, upsertServiceState } from '../../core/db/store.js';
import type { Service } from '../../core/runner.js';
import { nowSeconds, type ServiceDeps } from '../../core/service-deps.js';
import type { Network } from '../../models/network.js';
import type { Relay } from '../../models/relay.js';
import { connectRelay } from '../../nips/nip01/connection.js';
import { type Filter, parseFilter } from '../../nips/nip01/filter.js';
import { networkConnectOpts } from '../../nips/nip01/network-opts.js';
import type { EventSigner } from '../../nips/signer.js';
import { createLimiter, type Limiter } from '../../utils/limiter.js';
import type { Resolver } from '../../utils/net/resolve.js';
import type { VerifierPool } from '../../utils/verifier/pool.js';
import type { SynchronizerConfig } from './config.js';
import { connectionFetcher } from './fetch.js';
import { negentropyEnumerator } from './negentropy.js';
import { advertisedMaxLimit, supportsNegentropy } from './queries.js';
import { createEventSink, type SinkStats } from './sink.js';
import { walkWindow } from './windows.js';

/** The synchronizer's collaborators. */
export interface SynchronizerDeps extends ServiceDeps {
  readonly pool: VerifierPool;
  /** Answers NIP-42 challenges (optional: relays that need AUTH are then recorded and skipped). */
  readonly signer?: EventSigner;
  readonly resolver?: Resolver;
  readonly owner?: string;
}

const DAY = 86_400;
const RECENT_MAX = 1_000_000;

/** The configured filters without since/until/limit (the synchronizer sets those). */
export function configuredFilters(config: SynchronizerConfig): Filter[] {
  return config.processing.filters.map((raw, i) => {
    const { since: _s, until: _u, limit: _l, ...rest } = raw;
    const parsed = parseFilter(rest);
    if (!parsed.ok) throw new Error(`processing.filters[${i}]: ${parsed.detail}`);
    return parsed.value;
  });
}

/** Build the synchronizer service. */
export function createSynchronizer(deps: SynchronizerDeps, config: SynchronizerConfig): Service {
  const owner = deps.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const filters = configuredFilters(config);
  const networks = enabledNetworks(config.networks);
  const log = deps.logger;
  const recent = new Set<string>();

  async function syncRelay(relay: Relay, end: number, signal: AbortSignal): Promise<SinkStats | undefined> {
    const [state] = await getServiceState(deps.sql, 'synchronizer', 'cursor', relay.url);
    let since = Math.max(config.processing.since, Number(state?.stateValue.timestamp ?? config.processing.since));
    if (since >= end) return undefined;
    const opened = await connectRelay(relay.url, {
      ...networkConnectOpts(relay.network, config.networks, {
        allowInsecure: config.processing.allow_insecure,
        resolver: deps.resolver,
        signal,
      }),
      ...(deps.signer ? { signer: deps.signer } : {}),
    });
    if (!opened.ok) {
      log.info('relay_unreachable', { relay: relay.url, reason: opened.reason });
      deps.metrics.inc(`relay_errors_${opened.reason.replaceAll('-', '_')}`);
      return undefined;
    }
    await using conn = opened.value;
    if (recent.size > RECENT_MAX) recent.clear();
    const sink = createEventSink(
      relay,
      {
        sql: deps.sql,
        pool: deps.pool,
        batchSize: config.processing.batch_size,
        ...(config.processing.max_event_size ? { maxEventSize: config.processing.max_event_size } : {}),
        now: () => nowSeconds(deps),
      },
      recent,
    );
    const fetch = connectionFetcher(conn, { idleTimeoutMs: config.timeouts.idle * 1000 });
    const negentropy = (await supportsNegentropy(deps.sql, relay.url)) ? negentropyEnumerator(conn, fetch) : undefined;
    let limit = Math.min(config.processing.limit, await advertisedMaxLimit(deps.sql, relay.url));
    // windows start at a day and double while empty, so years without events cost a few requests
    let span = DAY;
    while (since < end && !signal.aborted) {
      const until = Math.min(end, since + span);
      let windowEvents = 0;
      for (const filter of filters) {
        const report = await walkWindow(fetch, filter, {
          since,
          until,
          limit,
          emit: (e) => sink.add(e),
          ...(negentropy ? { enumerateSecond: negentropy } : {}),
          signal,
        });
        limit = report.limit; // a cap learned on this relay holds for its next windows
        windowEvents += report.events;
        for (const gap of report.incomplete)
          log.warn('window_possibly_incomplete', { relay: relay.url, second: gap.second, seen: gap.seen });
        deps.metrics.inc('windows_possibly_incomplete', report.incomplete.length);
        if (report.failure || signal.aborted) {
          await sink.flush(); // what was received is kept; the cursor stays before this window
          if (report.failure) log.info('relay_sync_stopped', { relay: relay.url, reason: report.failure.reason });
          return sink.stats;
        }
      }
      await sink.flush();
      await upsertServiceState(deps.sql, [
        { serviceName: 'synchronizer', stateType: 'cursor', stateKey: relay.url, stateValue: { timestamp: until } },
      ]);
      span = windowEvents === 0 ? span * 2 : DAY;
      since = until;
    }
    return sink.stats;
  }

  return {
    name: 'synchronizer',
    async cleanup() {
      const removed = await cleanupRelayState(deps.sql, 'synchronizer', nowSeconds(deps));
      if (removed > 0) log.info('cursors_cleaned', { removed });
    },
    async cycle(outer) {
      const signal = AbortSignal.any([outer, AbortSignal.timeout(config.timeouts.max_duration * 1000)]);
      const now = nowSeconds(deps);
      const end = (config.processing.until ?? now) - config.processing.end_lag;
      const limiters = new Map<Network, Limiter>(networks.map((n) => [n, createLimiter(config.networks[n].max_tasks)]));
      const totals: SinkStats & { relays: number } = { relays: 0, seen: 0, inserted: 0, duplicates: 0, invalid: 0 };
      try {
        while (!signal.aborted && networks.length > 0) {
          const relays = await claimDueRelays(deps.sql, {
            service: 'synchronizer',
            stateType: 'cursor',
            dueBefore: end,
            networks,
            now: nowSeconds(deps),
            limit: networks.reduce((n, net) => n + config.networks[net].max_tasks, 0),
            owner,
            leaseSeconds: config.timeouts.max_duration + 300,
          });
          if (relays.length === 0) break;
          const results = await Promise.all(
            relays.map((r) => (limiters.get(r.network) as Limiter)(() => syncRelay(r, end, signal))),
          );
          for (const s of results) {
            totals.relays += 1;
            if (!s) continue;
            totals.seen += s.seen;
            totals.inserted += s.inserted;
            totals.duplicates += s.duplicates;
            totals.invalid += s.invalid;
          }
          // a relay that failed keeps its cursor and lease until the end of the cycle: not retried in it
        }
      } finally {
        await releaseLeases(deps.sql, 'synchronizer', owner);
      }
      deps.metrics.setGauge('relays_seen', totals.relays);
      deps.metrics.setGauge('events_seen', totals.seen);
      deps.metrics.inc('events_inserted', totals.inserted);
      deps.metrics.inc('events_duplicate', totals.duplicates);
      deps.metrics.inc('events_invalid', totals.invalid);
      log.info('sync_completed', { ...totals });
    },
  };
}
