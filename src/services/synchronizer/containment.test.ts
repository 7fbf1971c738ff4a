/**
 * Containment: hostile relays in the same cycle as an honest one. A forger (known ids and signatures, altered
 * content) and a flooder (200,000 forged copies for every REQ) can neither earn sightings, nor stop or slow the
 * cycle past its deadline, nor cost the honest relay an event; a relay task that throws is that relay's outcome.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getServiceState, insertRelays } from '../../core/db/store.js';
import type { NostrEvent } from '../../models/event.js';
import type { RelayUrl } from '../../models/relay.js';
import type { EventSigner } from '../../nips/signer.js';
import { generateEvents } from '../../testing/events.js';
import { startTestRelay, type TestRelay } from '../../testing/relay/relay.js';
import { recordingDeps } from '../../testing/service-deps.js';
import { useSyncHarness } from '../../testing/vitest/sync-harness.js';
import { synchronizerConfigSchema } from './config.js';
import type { SyncStatus } from './relay-state.js';
import { createSynchronizer } from './synchronizer.js';

const h = useSyncHarness();
const db = h.db;
const NOW = 1_700_100_000;
const MAX_DURATION = 20;
let honest: TestRelay;
let forger: TestRelay;
let flooder: TestRelay;
let events: NostrEvent[];

beforeAll(async () => {
  events = generateEvents(2_000, { seed: 61, createdAt: (i) => NOW - 2 * 86_400 + i * 80 });
  honest = await startTestRelay({ events, info: { supported_nips: [1, 11] } });
  forger = await startTestRelay({ events, info: { supported_nips: [1, 11] }, misbehave: { forgeContent: true } });
  flooder = await startTestRelay({
    events: events.slice(0, 500),
    info: { supported_nips: [1, 11] },
    misbehave: { floodCopies: 200_000 },
  });
});
afterAll(async () => {
  await Promise.all([honest?.close(), forger?.close(), flooder?.close()]);
});

const config = () =>
  synchronizerConfigSchema.parse({
    networks: { clearnet: { enabled: false }, local: { enabled: true, timeout: 5, max_tasks: 3 } },
    processing: { limit: 500, end_lag: 0, batch_size: 500, since: NOW - 3 * 86_400, negentropy: false },
    timeouts: { idle: 5, max_duration: MAX_DURATION },
  });

async function sightings(url: string): Promise<number> {
  const [row] = await db.sql`SELECT count(*)::int AS n FROM event_relay WHERE relay_url = ${url}`;
  return Number(row?.n);
}

const status = async (url: string) => (await h.state(url, 'sync_status')) as unknown as SyncStatus | undefined;

describe('synchronizer containment', () => {
  it('honest + forger + flooder, 10 cycles: none past max_duration, the honest relay whole, no forged sighting', async () => {
    for (let run = 0; run < 10; run++) {
      await db.sql`DELETE FROM service_state`;
      await db.sql`DELETE FROM event`;
      await insertRelays(
        db.sql,
        [honest, forger, flooder].map((r) => ({ url: r.url as RelayUrl, network: 'local' as const, discoveredAt: 1 })),
      );
      const deps = { ...recordingDeps(db.sql, { now: () => NOW }), pool: h.pool() };
      const started = Date.now();
      await createSynchronizer(deps, config()).cycle(new AbortController().signal);
      expect(Date.now() - started).toBeLessThan((MAX_DURATION + 5) * 1000);
      expect(await sightings(honest.url)).toBe(2_000);
      expect(await sightings(forger.url)).toBe(0);
      expect(await sightings(flooder.url)).toBe(0);
      // every stored row is the honest copy
      const [bad] = await db.sql`SELECT count(*)::int AS n FROM event WHERE content LIKE '%(forged)'`;
      expect(bad?.n).toBe(0);
      const [cursor] = await getServiceState(db.sql, 'synchronizer', 'cursor', honest.url);
      expect(cursor?.stateValue.timestamp).toBe(NOW);
      expect(await status(flooder.url)).toMatchObject({ complete: false, reason: 'too-large' });
      expect(deps.counters.get('events_invalid')).toBeGreaterThanOrEqual(2_000);
    }
  }, 400_000);

  it('a relay task that throws is that relay’s outcome: the others complete and the cycle ends cleanly', async () => {
    const locked = await startTestRelay({ events: events.slice(0, 100), authRequired: { read: true } });
    try {
      await insertRelays(
        db.sql,
        [honest, locked].map((r) => ({ url: r.url as RelayUrl, network: 'local' as const, discoveredAt: 1 })),
      );
      // the key store fails while answering the locked relay's AUTH challenge
      const signer: EventSigner = {
        pubkey: 'f'.repeat(64) as EventSigner['pubkey'],
        sign: () => {
          throw new Error('key store unavailable');
        },
      };
      const deps = { ...recordingDeps(db.sql, { now: () => NOW }), pool: h.pool(), signer };
      await createSynchronizer(deps, config()).cycle(new AbortController().signal);
      expect(await sightings(honest.url)).toBe(2_000);
      expect(await status(honest.url)).toMatchObject({ complete: true });
      const s = await status(locked.url);
      expect(s?.complete).toBe(false);
      expect(s?.detail).toContain('key store unavailable');
      // every lease was released after every task ended
      const leases = await db.sql`SELECT count(*)::int AS n FROM service_state WHERE state_type = 'lease'`;
      expect(leases[0]?.n).toBe(0);
    } finally {
      await locked.close();
    }
  });
});
