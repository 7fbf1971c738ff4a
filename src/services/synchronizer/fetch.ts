/** One REQ, read to EOSE: the page fetcher the window walk uses on an open relay connection. */
import type { NostrEvent } from '../../models/event.js';
import { fail, ok } from '../../models/result.js';
import type { RelayConnection } from '../../nips/nip01/connection.js';
import type { Filter } from '../../nips/nip01/filter.js';
import { subscribe } from '../../nips/nip01/subscription.js';
import type { ProbeResult } from '../../utils/net/reasons.js';
import type { PageFetcher } from './windows.js';

/** A page fetcher over `conn`: events that do not match the filter are dropped by the subscription. */
export function connectionFetcher(conn: RelayConnection, opts: { idleTimeoutMs: number }): PageFetcher {
  return async (filter: Filter, signal: AbortSignal): Promise<ProbeResult<NostrEvent[]>> => {
    const sub = subscribe(conn, [filter], { signal, idleTimeoutMs: opts.idleTimeoutMs });
    const events: NostrEvent[] = [];
    for await (const e of sub) events.push(e);
    const outcome = sub.outcome;
    if (outcome?.ok && outcome.value.eose) return ok(events);
    return outcome && !outcome.ok ? outcome : fail('closed', 'subscription ended without EOSE');
  };
}
