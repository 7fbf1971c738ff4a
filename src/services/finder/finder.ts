/**
 * Finder: discovers relay URLs from HTTP API sources and from archived events (relay
 * hints, `r`/`relay` tags, kind 2/3 content, NIP-66 monitors) and stores them as candidates for the validator.
 */
import type { Service } from '../../core/runner.js';
import { type CompiledSource, compileSources, runApiPhase } from './api.js';
import type { FinderConfig } from './config.js';
import type { FinderDeps } from './deps.js';
import { runEventPhase } from './events.js';
import { deleteOrphanCursors, deleteStaleCheckpoints } from './queries.js';

export type { FinderDeps } from './deps.js';

/** Build the finder; throws when a source's JMESPath expression does not compile. */
export function createFinder(deps: FinderDeps, config: FinderConfig): Service {
  const sources: readonly CompiledSource[] = compileSources(config.api.sources);
  const log = deps.logger;
  const gauge = (name: string, value: number): void => {
    deps.metrics.setGauge(name, value);
  };
  return {
    name: 'finder',
    async cycle(signal) {
      const api = config.api.enabled ? await runApiPhase(deps, config.api, sources, signal) : undefined;
      gauge('total_sources', api?.totalSources ?? 0);
      gauge('sources_fetched', api?.fetched ?? 0);
      gauge('sources_failed', api?.failed ?? 0);
      gauge('candidates_found_from_api', api?.inserted ?? 0);
      gauge('api_invalid_urls', api?.invalidUrls ?? 0);
      gauge('api_non_string_items', api?.nonStringItems ?? 0);
      const ev = config.events.enabled && !signal.aborted ? await runEventPhase(deps, config, signal) : undefined;
      gauge('relays_seen', ev?.relaysSeen ?? 0);
      gauge('rows_seen', ev?.rowsSeen ?? 0);
      gauge('candidates_found_from_events', ev?.inserted ?? 0);
      gauge('events_invalid_urls', ev?.invalidUrls ?? 0);
      return { ...prefixed('api', api), ...prefixed('events', ev) };
    },
    async cleanup() {
      const cursors = await deleteOrphanCursors(deps.sql);
      const checkpoints = await deleteStaleCheckpoints(
        deps.sql,
        config.api.sources.map((s) => s.url),
      );
      if (cursors + checkpoints > 0) log.info('cleanup_completed', { cursors, checkpoints });
    },
  };
}

/** A phase's counts as `<phase>_<count>` summary fields (none when the phase did not run). */
function prefixed(phase: string, counts: object | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(counts ?? {}).map(([k, v]) => [`${phase}_${k}`, v]));
}
