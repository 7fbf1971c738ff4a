/**
 * Live subscriptions: one poller per endpoint reads the events newly archived (first sighted, by
 * `event_relay.seen_at`) and hands each to the open subscriptions whose filters match it. Reading only, through
 * the `seen_at` index, it adds no work to ingest: the writer is not involved.
 *
 * `seen_at` is whole seconds stamped before a batch commits, so a batch may become visible after later seconds
 * were read. Each poll re-reads the last `lagSec` seconds and skips the events it already delivered (remembered
 * for that window only), so such late batches are still delivered, once.
 */

import type { Sql } from '../../../core/db/sql.js';
import type { Logger } from '../../../core/logger.js';
import type { ServiceMetrics } from '../../../core/metrics.js';
import type { NostrEvent } from '../../../models/event.js';
import { type Filter, matchFilters } from '../../../nips/nip01/filter.js';
import { newSightingsQuery } from './sql.js';

/** A live subscription: its filters and where matching events go (as NIP-01 JSON text). */
export interface LiveSub {
  readonly filters: readonly Filter[];
  deliver(json: string): void;
}

/** The endpoint's live feed. */
export interface LiveFeed {
  add(sub: LiveSub): void;
  remove(sub: LiveSub): void;
  close(): void;
}

/** How the feed polls. */
export interface LiveOpts {
  readonly sql: Sql;
  readonly logger: Logger;
  readonly metrics: ServiceMetrics;
  readonly intervalMs: number;
  readonly lagSec: number;
  /** Most events read per poll (default 10,000); a poll that reads this many moves on from the last one. */
  readonly batch?: number;
}

/** Start polling (the timer does not keep the process alive). */
export function createLiveFeed(o: LiveOpts): LiveFeed {
  const subs = new Set<LiveSub>();
  const delivered = new Map<string, number>();
  const batch = o.batch ?? 10_000;
  let maxSeen: number | undefined;
  // the first second not yet archived when the feed last had no subscriber: older events are never "new"
  let baseline = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  async function poll(): Promise<void> {
    if (maxSeen === undefined || subs.size === 0) {
      const [row] = await o.sql<{ m: string | null }[]>`SELECT max(seen_at)::text AS m FROM event_relay`;
      maxSeen = Number(row?.m ?? 0);
      baseline = maxSeen + 1;
      delivered.clear();
      return;
    }
    const floor = Math.max(baseline, maxSeen - o.lagSec);
    const rows = await o.sql<
      { json: string; seen_at: string; id: string }[]
    >`${newSightingsQuery(o.sql, floor, batch)}`;
    let fresh = 0;
    for (const r of rows) {
      const seen = Number(r.seen_at);
      if (seen > maxSeen) maxSeen = seen;
      if (delivered.has(r.id)) continue;
      delivered.set(r.id, seen);
      fresh += 1;
      const event = JSON.parse(r.json) as NostrEvent;
      for (const sub of subs) if (matchFilters(sub.filters, event)) sub.deliver(r.json);
    }
    if (rows.length >= batch) {
      // why: a full batch would be read again from the same floor; move on (the events not read are logged)
      o.logger.warn('relay_live_lagging', { read: rows.length, floor });
      o.metrics.inc('relay_live_lagging');
      maxSeen = Number(rows.at(-1)?.seen_at ?? maxSeen) + o.lagSec;
    }
    const keepFrom = maxSeen - o.lagSec;
    for (const [id, seen] of delivered) if (seen < keepFrom) delivered.delete(id);
    if (fresh > 0) o.metrics.inc('relay_live_events', fresh);
  }

  const loop = (): void => {
    poll()
      .catch((err: unknown) => {
        o.metrics.inc('relay_live_poll_failed');
        o.logger.warn('relay_live_poll_failed', { detail: err instanceof Error ? err.message : String(err) });
      })
      .finally(() => {
        if (!closed) timer = setTimeout(loop, o.intervalMs).unref();
      });
  };
  loop();

  return {
    add: (sub) => void subs.add(sub),
    remove: (sub) => void subs.delete(sub),
    close() {
      closed = true;
      clearTimeout(timer);
      subs.clear();
    },
  };
}
