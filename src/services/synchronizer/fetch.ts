/** One REQ, read to EOSE: the page fetcher the window walk uses on an open relay connection. */
import type { NostrEvent } from '../../models/event.js';
import { fail, ok } from '../../models/result.js';
import type { RelayConnection } from '../../nips/nip01/connection.js';
import type { Filter } from '../../nips/nip01/filter.js';
import { subscribe } from '../../nips/nip01/subscription.js';
import type { ProbeResult } from '../../utils/net/reasons.js';
import type { PageFetcher } from './windows.js';

/**
 * The most events one page may carry: twice what it asked for (relays round limits up, or ignore small ones),
 * and never fewer than `slack` over it. A relay past it is cut off: a page that ignores its limit can hold a
 * relay's whole history, and nothing bounds the memory it takes but this.
 */
export function pageBound(filter: Filter, slack = 1_000): number {
  const asked = filter.limit ?? filter.ids?.length ?? 0;
  return Math.max(2 * asked, asked + slack);
}

/**
 * A page fetcher over `conn`: events that do not match the filter are dropped by the subscription, and a page
 * that had any fails (the walk stops there and the relay's cursor stays before it); a page past `pageBound` is
 * cut off as `too-large`.
 */
export function connectionFetcher(conn: RelayConnection, opts: { idleTimeoutMs: number }): PageFetcher {
  return async (filter: Filter, signal: AbortSignal): Promise<ProbeResult<NostrEvent[]>> => {
    const bound = pageBound(filter);
    const sub = subscribe(conn, [filter], { signal, idleTimeoutMs: opts.idleTimeoutMs, maxReceived: bound });
    // one page at a time on a connection: a NOTICE before any answer is this REQ's refusal
    const noticeWait = new AbortController();
    void conn.waitForNotice(noticeWait.signal).then((notice) => {
      if (notice !== undefined && sub.stats.received === 0) sub.refuse(notice);
    });
    const events: NostrEvent[] = [];
    try {
      for await (const e of sub) events.push(e);
    } finally {
      noticeWait.abort();
    }
    // a relay past the bound is cut off, whatever it sent
    if (sub.outcome && !sub.outcome.ok && sub.outcome.reason === 'too-large') return sub.outcome;
    const outcome = sub.outcome;
    // a relay that answers outside the filter (ignoring until, say) cannot prove a window complete
    if (sub.stats.unmatched > 0)
      return fail('invalid', `the relay sent ${sub.stats.unmatched} events outside the filter`);
    if (outcome?.ok && outcome.value.eose) return ok(events);
    return outcome && !outcome.ok ? outcome : fail('closed', 'subscription ended without EOSE');
  };
}
