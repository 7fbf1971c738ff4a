/**
 * Refresher: refreshes the statistics views in the configured order (a failing view is
 * logged and counted, the rest go on) and, on its own schedule, deletes orphan events and metadata. The last
 * cleanup time lives in service_state `(refresher, checkpoint, orphan_cleanup) = {timestamp}`, so a restart
 * keeps the schedule.
 *
 * At start it checks what its role may do (a database whose grants are the reference's lets the refresher only
 * SELECT until `db init` upgrades them): a view it cannot refresh, or the cleanup without DELETE on event and
 * metadata or without its checkpoint row, is reported once and skipped, not failed every cycle.
 */
import {
  deleteOrphanEvents,
  deleteOrphanMetadata,
  refreshView,
  type StatisticsView,
} from '../../core/db/maintenance.js';
import { missingTablePrivileges, stateWriteDenied, unrefreshableViews } from '../../core/db/privileges.js';
import { getServiceState, upsertServiceState } from '../../core/db/store.js';
import type { Service } from '../../core/runner.js';
import { nowSeconds, type ServiceDeps } from '../../core/service-deps.js';
import type { RefresherConfig } from './config.js';

/** The service_state key of the orphan cleanup's last run. */
export const ORPHAN_CLEANUP_KEY = 'orphan_cleanup';

/** Every configured view failed: the database is likely unreachable, so the cycle fails. */
export class RefreshFailedError extends Error {
  override name = 'RefreshFailedError';
}

/** What one pass over the views did. */
export interface RefreshSummary {
  readonly total: number;
  readonly refreshed: number;
  readonly failed: number;
}

/** Build the refresher service. */
export function createRefresher(deps: ServiceDeps, config: RefresherConfig): Service {
  const log = deps.logger;
  const m = deps.metrics;
  const configured = config.refresh.views as StatisticsView[];
  let views = configured;
  let cleanupAllowed = config.cleanup.enabled;
  let checked: Promise<void> | undefined;

  /** Once per start: drop the duties the role lacks a privilege for, saying which and why. */
  async function checkPrivileges(): Promise<void> {
    const denied = new Set(await unrefreshableViews(deps.sql, configured));
    if (denied.size > 0) {
      views = configured.filter((v) => !denied.has(v));
      m.setGauge('views_skipped', denied.size);
      log.warn('views_skipped', {
        views: [...denied].join(','),
        reason: 'not owned by this role (run `bigbrotr db init` with the admin role)',
      });
    }
    if (!config.cleanup.enabled) return;
    const missing = await missingTablePrivileges(deps.sql, [
      { table: 'event', privilege: 'DELETE' },
      { table: 'metadata', privilege: 'DELETE' },
    ]);
    const state = await stateWriteDenied(deps.sql, {
      serviceName: 'refresher',
      stateType: 'checkpoint',
      stateKey: ORPHAN_CLEANUP_KEY,
    });
    if (state) missing.push(`service_state (${state})`);
    if (missing.length > 0) {
      cleanupAllowed = false;
      m.setGauge('orphan_cleanup_skipped', 1);
      log.warn('orphan_cleanup_skipped', {
        missing: missing.join(','),
        reason: 'privilege missing (run `bigbrotr db init` with the admin role)',
      });
    }
  }
  const ready = (): Promise<void> => {
    checked ??= checkPrivileges().catch((err: unknown) => {
      checked = undefined; // why: a database that was unreachable is checked again next time
      throw err;
    });
    return checked;
  };

  async function refreshOne(view: StatisticsView): Promise<boolean> {
    const started = performance.now();
    try {
      await refreshView(deps.sql, view);
      const seconds = (performance.now() - started) / 1000;
      m.setGauge(`duration_${view}`, seconds);
      log.debug('view_refreshed', { view, duration: Number(seconds.toFixed(3)) });
      return true;
    } catch (err) {
      log.error('view_refresh_failed', { view, ...describeError(err) });
      return false;
    }
  }

  async function refreshViews(signal: AbortSignal): Promise<RefreshSummary> {
    let refreshed = 0;
    let failed = 0;
    for (const view of views) {
      // why: a stop request ends the pass between views; a refresh in flight runs to its end
      if (signal.aborted) break;
      if (await refreshOne(view)) refreshed += 1;
      else failed += 1;
    }
    return { total: views.length, refreshed, failed };
  }

  async function cleanupOrphans(): Promise<void> {
    const now = nowSeconds(deps);
    const [state] = await getServiceState(deps.sql, 'refresher', 'checkpoint', ORPHAN_CLEANUP_KEY);
    const last = Number(state?.stateValue.timestamp ?? 0);
    if (Number.isFinite(last) && last > 0 && now - last < config.cleanup.interval) return;
    const events = await deleteOrphanEvents(deps.sql, config.cleanup.batch_size);
    const metadata = await deleteOrphanMetadata(deps.sql, config.cleanup.batch_size);
    m.inc('orphan_events_deleted', events);
    m.inc('orphan_metadata_deleted', metadata);
    await upsertServiceState(deps.sql, [
      {
        serviceName: 'refresher',
        stateType: 'checkpoint',
        stateKey: ORPHAN_CLEANUP_KEY,
        stateValue: { timestamp: now },
      },
    ]);
    log.info('orphans_deleted', { events, metadata });
  }

  return {
    name: 'refresher',
    async cleanup(signal) {
      await ready();
      if (!cleanupAllowed || signal.aborted) return;
      try {
        await cleanupOrphans();
      } catch (err) {
        // why: the views are still worth refreshing; the cleanup is retried next cycle (no checkpoint written)
        m.inc('orphan_cleanup_failed');
        log.error('orphan_cleanup_failed', describeError(err));
      }
    },
    async cycle(signal) {
      await ready();
      const summary = await refreshViews(signal);
      m.setGauge('views_total', summary.total);
      m.setGauge('views_refreshed', summary.refreshed);
      m.setGauge('views_failed', summary.failed);
      if (configured.length > 0 && views.length === 0) {
        throw new RefreshFailedError(`none of the ${configured.length} views can be refreshed by this role`);
      }
      if (summary.total > 0 && summary.failed === summary.total) {
        throw new RefreshFailedError(`all ${summary.total} views failed to refresh`);
      }
      return { ...summary };
    },
  };
}

function describeError(err: unknown): Record<string, string> {
  if (!(err instanceof Error)) return { error: 'Error', detail: String(err) };
  const code = (err as { code?: unknown }).code;
  return { error: err.name, detail: err.message, ...(typeof code === 'string' ? { code } : {}) };
}
