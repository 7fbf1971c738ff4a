/** Enumerating a dense second with NIP-77 (reconcile against nothing, then fetch the ids in batches). */
import type { NostrEvent } from '../../models/event.js';
import type { RelayConnection } from '../../nips/nip01/connection.js';
import { reconcileWithRelay } from '../../nips/nip77/reconcile.js';
import type { PageFetcher, SecondEnumerator } from './windows.js';

/** A second enumerator over `conn`: undefined (so the second is reported) when negentropy fails. */
export function negentropyEnumerator(conn: RelayConnection, fetch: PageFetcher, batch = 200): SecondEnumerator {
  return async (_second, filter, signal) => {
    const r = await reconcileWithRelay(conn, filter, [], { signal });
    if (!r.ok) return undefined;
    const out: NostrEvent[] = [];
    const missing = new Set(r.value.need);
    // ask for the missing ids until none is left; a relay may cap each answer below the batch
    while (missing.size > 0) {
      const page = await fetch({ ids: [...missing].slice(0, batch) }, signal);
      if (!page.ok) return undefined;
      const fresh = page.value.filter((e) => missing.delete(e.id));
      if (fresh.length === 0) return undefined; // no progress: the relay will not hand them over
      out.push(...fresh);
    }
    return out;
  };
}
