/** A relay farm: many test relays in one process, on many ports, sharing one pool of generated events. */
import type { NostrEvent } from '../../models/event.js';
import { startTestRelay, type TestRelay, type TestRelayOpts } from './relay.js';

/** How to build the farm. */
export interface RelayFarmOpts {
  readonly count: number;
  /** The events relays are seeded from; relay i holds `eventsPerRelay` of them starting at i × eventsPerRelay. */
  readonly pool?: readonly NostrEvent[];
  readonly eventsPerRelay?: number;
  /** Per-relay options beyond the events (NIP-11 document, auth, misbehaviours…). */
  readonly relayOpts?: (index: number) => Omit<TestRelayOpts, 'events'>;
  /** Relays started at once; default 200. */
  readonly concurrency?: number;
}

/** A running farm. */
export interface RelayFarm extends AsyncDisposable {
  readonly relays: readonly TestRelay[];
  readonly urls: readonly string[];
  close(): Promise<void>;
}

/** Start `count` relays on 127.0.0.1 (each needs one file descriptor while idle). */
export async function startRelayFarm(opts: RelayFarmOpts): Promise<RelayFarm> {
  const pool = opts.pool ?? [];
  const per = opts.eventsPerRelay ?? 0;
  const relays: TestRelay[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(relays.map((r) => r.close()));
  };
  try {
    for (let start = 0; start < opts.count; start += opts.concurrency ?? 200) {
      const end = Math.min(opts.count, start + (opts.concurrency ?? 200));
      const batch = Array.from({ length: end - start }, (_, k) => {
        const i = start + k;
        const offset = pool.length === 0 ? 0 : (i * per) % pool.length;
        const events = pool.slice(offset, offset + per);
        return startTestRelay({ ...opts.relayOpts?.(i), events });
      });
      relays.push(...(await Promise.all(batch)));
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { relays, urls: relays.map((r) => r.url), close, [Symbol.asyncDispose]: close };
}
