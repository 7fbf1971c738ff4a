/**
 * Synchronizer: every event of every relay into PostgreSQL with provenance. Relays are claimed under
 * leases, priority relays first with their own concurrency, then the most behind; each relay is brought up to
 * the cycle's end (relay-sync.ts) and its events go through one writer for the cycle (writer.ts), which
 * commits each cursor in the transaction of the events it covers. With `live_tail`, the relays caught up in
 * the cycle are then tailed until the cycle's deadline (tail.ts).
 */
import { enabledNetworks } from '../../core/config/service.js';
import { claimDueRelays, cleanupLeasedRelays, leaseOwner, releaseLeases } from '../../core/db/relay-leases.js';
import type { Service } from '../../core/runner.js';
import { nowSeconds, type ServiceDeps } from '../../core/service-deps.js';
import type { Network } from '../../models/network.js';
import type { Relay } from '../../models/relay.js';
import { normalizeRelayUrl } from '../../models/relay-url.js';
import { type Filter, parseFilter } from '../../nips/nip01/filter.js';
import type { EventSigner } from '../../nips/signer.js';
import { withDeadline } from '../../utils/deadline.js';
import { createLimiter, type Limiter } from '../../utils/limiter.js';
import type { Resolver } from '../../utils/net/resolve.js';
import type { VerifierPool } from '../../utils/verifier/pool.js';
import type { SynchronizerConfig } from './config.js';
import { type RelaySyncDeps, syncRelay } from './relay-sync.js';
import { tailRelays } from './tail.js';
import { createEventWriter } from './writer.js';

/** The synchronizer's collaborators. */
export interface SynchronizerDeps extends ServiceDeps {
  readonly pool: VerifierPool;
  /** Answers NIP-42 challenges (optional: relays that need AUTH are then recorded and skipped). */
  readonly signer?: EventSigner;
  readonly resolver?: Resolver;
  readonly owner?: string;
  /** Priority relay URLs from `priority_relays_file` (the config's list is added to these). */
  readonly priorityRelays?: readonly string[];
}

/** The configured filters without since/until/limit (the synchronizer sets those). */
export function configuredFilters(config: SynchronizerConfig): Filter[] {
  return config.processing.filters.map((raw, i) => {
    const { since: _s, until: _u, limit: _l, ...rest } = raw;
    const parsed = parseFilter(rest);
    if (!parsed.ok) throw new Error(`processing.filters[${i}]: ${parsed.detail}`);
    return parsed.value;
  });
}

/** Priority relays: the config's list and the file's, normalised; invalid entries are reported and dropped. */
export function priorityUrls(
  config: SynchronizerConfig,
  fromFile: readonly string[],
  warn: (url: string) => void,
): string[] {
  const out = new Set<string>();
  for (const raw of [...config.processing.priority_relays, ...fromFile]) {
    try {
      out.add(normalizeRelayUrl(raw, { allowLocal: true }));
    } catch {
      warn(raw);
    }
  }
  return [...out];
}

/**
 * Await every one of `work`, aborting `tasks` as soon as one fails so the others end early; then rethrow the
 * first failure. Nothing is left running when it returns.
 */
async function settleAll(tasks: AbortController, work: readonly (Promise<unknown> | undefined)[]): Promise<void> {
  const settled = await Promise.allSettled(
    work.map((w) =>
      w?.catch((err: unknown) => {
        tasks.abort();
        throw err;
      }),
    ),
  );
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
}

/** Build the synchronizer service. */
export function createSynchronizer(deps: SynchronizerDeps, config: SynchronizerConfig): Service {
  const owner = deps.owner ?? leaseOwner();
  const filters = configuredFilters(config);
  const networks = enabledNetworks(config.networks);
  const log = deps.logger;
  const priority = priorityUrls(config, deps.priorityRelays ?? [], (url) =>
    log.warn('priority_relay_invalid', { url }),
  );
  const now = (): number => nowSeconds(deps);

  return {
    name: 'synchronizer',
    async cleanup() {
      await cleanupLeasedRelays(deps.sql, { service: 'synchronizer', owner }, now(), log, 'cursors_cleaned');
    },
    async cycle(outer) {
      // the cycle's tasks end with it: at its deadline, on shutdown, or when a pass fails
      using deadline = withDeadline(config.timeouts.max_duration * 1000, outer);
      const tasks = new AbortController();
      const stopTasks = () => tasks.abort();
      deadline.signal.addEventListener('abort', stopTasks, { once: true });
      const signal = tasks.signal;
      const end = (config.processing.until ?? now()) - config.processing.end_lag;
      const writer = createEventWriter({
        sql: deps.sql,
        pool: deps.pool,
        batchSize: config.processing.batch_size,
        ...(config.processing.max_event_size ? { maxEventSize: config.processing.max_event_size } : {}),
        keepEphemeral: config.processing.keep_ephemeral,
        now,
        onRetry: (err, attempt) => log.warn('write_retry', { attempt, error: (err as Error).message }),
      });
      const d: RelaySyncDeps = {
        sql: deps.sql,
        logger: log,
        metrics: deps.metrics,
        writer,
        filters,
        config,
        now,
        ...(deps.signer ? { signer: deps.signer } : {}),
        ...(deps.resolver ? { resolver: deps.resolver } : {}),
      };
      const caughtUp: Relay[] = [];
      let relaysSeen = 0;
      const synced: Relay[] = [];
      // one pass: claim due relays (of `only`, never `except`) and sync them under `limiters` until none is due
      const pass = async (
        limiters: Map<Network, Limiter>,
        slots: number,
        scope: { only?: string[]; except?: string[] },
      ) => {
        while (!signal.aborted) {
          const relays = await claimDueRelays(deps.sql, {
            service: 'synchronizer',
            stateType: 'cursor',
            dueBefore: end,
            networks,
            now: now(),
            limit: slots,
            owner,
            leaseSeconds: config.timeouts.max_duration + 300,
            ...scope,
          });
          if (relays.length === 0) return;
          relaysSeen += relays.length;
          synced.push(...relays);
          // a relay's failure is that relay's outcome (syncRelay stores it), never the cycle's
          await Promise.all(
            relays.map((r) =>
              (limiters.get(r.network) as Limiter)(async () => {
                // each relay's task ends with the cycle through a child signal: its pages listen there, so any
                // number of relays at once adds one listener to the cycle's signal
                using task = withDeadline(Number.POSITIVE_INFINITY, signal);
                const result = await syncRelay(r, end, d, task.signal).catch((err: unknown) => {
                  log.warn('relay_task_failed', { relay: r.url, error: (err as Error).message });
                  return { complete: false };
                });
                if (result.complete) caughtUp.push(r);
              }),
            ),
          );
          // a relay that failed keeps its cursor and lease until the end of the cycle: not retried in it
        }
      };
      const limiters = (size: (n: Network) => number) => new Map(networks.map((n) => [n, createLimiter(size(n))]));
      const slots = networks.reduce((n, net) => n + config.networks[net].max_tasks, 0);
      try {
        if (networks.length > 0) {
          // priority relays have their own share, so a large relay set never delays them; when one pass fails
          // the other is stopped and awaited before the leases go
          await settleAll(tasks, [
            priority.length > 0
              ? pass(
                  limiters(() => config.processing.priority_max_tasks),
                  config.processing.priority_max_tasks,
                  {
                    only: priority,
                  },
                )
              : undefined,
            pass(
              limiters((n) => config.networks[n].max_tasks),
              slots,
              { except: priority },
            ),
          ]);
        }
        if (config.processing.live_tail && !signal.aborted && caughtUp.length > 0) {
          const tailed = caughtUp.slice(0, config.processing.live_tail_max_relays);
          const received = await tailRelays(tailed, d, signal);
          log.info('tail_ended', { relays: tailed.length, received });
        }
      } finally {
        deadline.signal.removeEventListener('abort', stopTasks);
        // the batch in progress commits even on shutdown: what was received is kept
        try {
          await writer.flush();
        } finally {
          await releaseLeases(deps.sql, 'synchronizer', owner);
        }
      }
      const totals = { relays: relaysSeen, ...writer.stats };
      deps.metrics.setGauge('relays_seen', totals.relays);
      deps.metrics.setGauge('events_seen', totals.seen);
      deps.metrics.inc('events_inserted', totals.inserted);
      deps.metrics.inc('events_duplicate', totals.duplicates);
      deps.metrics.inc('events_invalid', totals.invalid);
      deps.metrics.inc('events_skipped', totals.skipped);
      // copies refused are counted when their batch is prepared, which can be after the relay's task ended
      for (const relay of synced) {
        const refused = writer.refusedFrom(relay.url);
        if (Object.keys(refused).length > 0) log.warn('relay_events_refused', { relay: relay.url, ...refused });
      }
      return { ...totals };
    },
  };
}
