/**
 * Live tail (off by default): once the relays of a cycle are caught up, keep one subscription per relay for
 * what arrives from now on — `limit: 0` and no `since`, so an event that arrives late with an old `created_at`
 * is taken too — and write it in small batches (a flush every second), until the cycle's deadline or shutdown.
 * Tail events never move a cursor: the cursor means "complete up to", and the next cycle's catch-up walk proves
 * that for the span the tail covered. A relay whose tail fails is logged; the others go on.
 */

import type { Relay } from '../../models/relay.js';
import { subscribe } from '../../nips/nip01/subscription.js';
import { withDeadline } from '../../utils/deadline.js';
import { openRelay, type RelaySyncDeps } from './relay-sync.js';

const FLUSH_MS = 1000;

/** Tail `relays` until `signal` aborts; returns the events received. */
export async function tailRelays(relays: readonly Relay[], d: RelaySyncDeps, signal: AbortSignal): Promise<number> {
  let received = 0;
  const flusher = setInterval(() => {
    d.writer.flush().catch((err) => d.logger.warn('tail_flush_failed', { error: (err as Error).message }));
  }, FLUSH_MS);
  d.metrics.setGauge('tail_relays', relays.length);
  try {
    await Promise.all(
      relays.map(async (relay) => {
        // a child signal per relay: the cycle's signal gets one listener however many relays are tailed
        using task = withDeadline(Number.POSITIVE_INFINITY, signal);
        try {
          const opened = await openRelay(relay, d, task.signal);
          if (!opened.ok) return;
          await using conn = opened.value;
          const filters = d.filters.map(({ since: _s, until: _u, ...f }) => ({ ...f, limit: 0 }));
          const sub = subscribe(conn, filters, { closeOnEose: false, idleTimeoutMs: 0, signal: task.signal });
          for await (const event of sub) {
            received += 1;
            await d.writer.add(relay, [event]);
          }
        } catch (err) {
          d.logger.warn('tail_failed', { relay: relay.url, error: (err as Error).message });
        }
      }),
    );
  } finally {
    clearInterval(flusher);
    d.metrics.setGauge('tail_relays', 0);
  }
  return received;
}
