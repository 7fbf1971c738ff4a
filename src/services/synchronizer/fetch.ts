/** One REQ, read to EOSE: the page fetcher the window walk uses on an open relay connection. */
import type { NostrEvent } from '../../models/event.js';
import { fail, ok } from '../../models/result.js';
import type { RelayConnection } from '../../nips/nip01/connection.js';
import type { Filter } from '../../nips/nip01/filter.js';
import { subscribe } from '../../nips/nip01/subscription.js';
import type { ProbeResult } from '../../utils/net/reasons.js';
import type { PageFetcher } from './windows.js';

/**
 * A page fetcher over `conn`: events that do not match the filter are dropped by the subscription, and a page
 * that had any fails (the walk stops there and the relay's cursor stays before it).
 */
export function connectionFetcher(conn: RelayConnection, opts: { idleTimeoutMs: number }): PageFetcher {
  return async (filter: Filter, signal: AbortSignal): Promise<ProbeResult<NostrEvent[]>> => {
    const sub = subscribe(conn, [filter], { signal, idleTimeoutMs: opts.idleTimeoutMs });
    const events: NostrEvent[] = [];
    for await (const e of sub) events.push(e);
    const outcome = sub.outcome;
    // a relay that answers outside the filter (ignoring until, say) cannot prove a window complete
    if (sub.stats.unmatched > 0)
      return fail('invalid', `the relay sent ${sub.stats.unmatched} events outside the filter`);
    if (outcome?.ok && outcome.value.eose) return ok(events);
    return outcome && !outcome.ok ? outcome : fail('closed', 'subscription ended without EOSE');
  };
}
