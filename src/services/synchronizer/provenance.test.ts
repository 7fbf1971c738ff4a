/**
 * Provenance through whole synchronizer cycles (docs/design/write-path.md): a forger serving known ids and
 * signatures with other content beside an honest relay, and a relay serving events PostgreSQL could not store as
 * signed. Each test ends with an audit of the database.
 */
import { describe, expect, it } from 'vitest';
import { getServiceState, insertRelays } from '../../core/db/store.js';
import type { NostrEvent } from '../../models/event.js';
import type { RelayUrl } from '../../models/relay.js';
import { ZERO_EVENT_ID } from '../../models/service-state.js';
import { generateEvents, signEvent, testSecretKey } from '../../testing/events.js';
import { startTestRelay, type TestRelay } from '../../testing/relay/relay.js';
import { recordingDeps } from '../../testing/service-deps.js';
import { localSyncConfig, useSyncHarness } from '../../testing/vitest/sync-harness.js';
import { createSynchronizer } from './synchronizer.js';

const harness = useSyncHarness();
const db = harness.db;
const NOW = 1_700_100_000;

const config = () => localSyncConfig();

const sightings = (url: string) => harness.stored(url);
const expectAuditClean = () => harness.expectAuditClean();

async function cycle(relays: TestRelay[]): Promise<ReturnType<typeof recordingDeps>> {
  await insertRelays(
    db.sql,
    relays.map((r) => ({ url: r.url as RelayUrl, network: 'local' as const, discoveredAt: 1 })),
  );
  const deps = { ...recordingDeps(db.sql, { now: () => NOW }), pool: harness.pool() };
  await createSynchronizer(deps, config()).cycle(new AbortController().signal);
  return deps;
}

describe('synchronizer provenance', () => {
  const events = generateEvents(600, { seed: 61, createdAt: (i) => NOW - 86_400 + i * 120 });
  const forged = events.map((e) => ({ ...e, content: `${e.content} (altered)` }));

  it('an honest relay and a forger in one cycle: the honest relay credited with all, the forger with none', async () => {
    const honest = await startTestRelay({ events });
    const forger = await startTestRelay({ events: forged });
    try {
      const deps = await cycle([honest, forger]);
      expect(await sightings(honest.url)).toEqual(new Set(events.map((e) => e.id)));
      expect((await sightings(forger.url)).size).toBe(0);
      expect(deps.counters.get('events_invalid')).toBe(forged.length);
      const [cursor] = await getServiceState(db.sql, 'synchronizer', 'cursor', honest.url);
      expect(cursor?.stateValue).toEqual({ timestamp: NOW, id: ZERO_EVENT_ID });
      // a later cycle with the forger alone (the events stored, the writer's memory empty): still nothing
      await db.sql`DELETE FROM service_state`;
      await db.sql`DELETE FROM relay WHERE url = ${honest.url}`;
      const again = await cycle([forger]);
      expect(again.counters.get('events_invalid')).toBe(forged.length);
      expect((await sightings(forger.url)).size).toBe(0);
      await expectAuditClean();
    } finally {
      await honest.close();
      await forger.close();
    }
  });

  it('events with a lone surrogate or NUL are invalid, counted and never stored; the rest is', async () => {
    const key = testSecretKey(62, 0);
    const at = NOW - 3_600;
    const unstorable: NostrEvent[] = [
      signEvent({ created_at: at, kind: 1, tags: [], content: 'x\ud800y' }, key),
      signEvent({ created_at: at + 1, kind: 1, tags: [['t', 'a\udc00']], content: '' }, key),
      signEvent({ created_at: at + 2, kind: 1, tags: [['t', 'nul\u0000']], content: '' }, key),
    ];
    const fine = events.slice(0, 50);
    const relay = await startTestRelay({ events: [...fine, ...unstorable] });
    try {
      const deps = await cycle([relay]);
      expect(await sightings(relay.url)).toEqual(new Set(fine.map((e) => e.id)));
      expect(deps.counters.get('events_invalid')).toBe(unstorable.length);
      await expectAuditClean();
    } finally {
      await relay.close();
    }
  });
});
