/**
 * Synchronizer cycles against test relays: a whole relay archived with provenance, invalid signatures refused,
 * dense seconds and windows reconciled with negentropy, and hostile relays bounded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getServiceState, insertEventRelaysCascade, insertRelays } from '../../core/db/store.js';
import type { NostrEvent } from '../../models/event.js';
import type { RelayUrl } from '../../models/relay.js';
import { ZERO_EVENT_ID } from '../../models/service-state.js';
import { generateEvents } from '../../testing/events.js';
import { type Misbehaviour, startTestRelay, type TestRelay } from '../../testing/relay/relay.js';
import { recordingDeps } from '../../testing/service-deps.js';
import { localSyncConfig, syncHistory, useSyncHarness } from '../../testing/vitest/sync-harness.js';
import { createSynchronizer } from './synchronizer.js';

const harness = useSyncHarness();
const db = harness.db;
const NOW = 1_700_100_000;

const config = localSyncConfig;
const storedIds = (url: string) => harness.stored(url);

describe('synchronizer', () => {
  let relay: TestRelay;
  let events: NostrEvent[];
  beforeAll(async () => {
    // 3 days of history, a dense second, and events that the relay serves with a bad signature
    events = syncHistory(NOW);
    relay = await startTestRelay({ events, info: { supported_nips: [1, 11], limitation: { max_limit: 100 } } });
  });
  afterAll(async () => {
    await relay?.close();
  });

  it('archives every event of a relay with provenance, moving the cursor to the end', async () => {
    await insertRelays(db.sql, [{ url: relay.url as RelayUrl, network: 'local', discoveredAt: 1 }]);
    const deps = { ...recordingDeps(db.sql, { now: () => NOW }), pool: harness.pool() };
    await createSynchronizer(deps, config()).cycle(new AbortController().signal);
    expect(await storedIds(relay.url)).toEqual(new Set(events.map((e) => e.id)));
    const [cursor] = await getServiceState(db.sql, 'synchronizer', 'cursor', relay.url);
    expect(cursor?.stateValue).toEqual({ timestamp: NOW, id: ZERO_EVENT_ID });
    expect(deps.counters.get('events_inserted')).toBe(events.length);
    // a second cycle finds the relay up to date
    await createSynchronizer(deps, config()).cycle(new AbortController().signal);
    expect(deps.gauges.get('relays_seen')).toBe(0);
    // with the cursor forgotten, every event comes again: all duplicates, the first sightings kept
    await db.sql`DELETE FROM service_state WHERE service_name = 'synchronizer'`;
    const again = { ...recordingDeps(db.sql, { now: () => NOW + 60 }), pool: harness.pool() };
    await createSynchronizer(again, config()).cycle(new AbortController().signal);
    expect(again.counters.get('events_inserted') ?? 0).toBe(0);
    expect(again.counters.get('events_duplicate')).toBe(events.length);
    const seen = await db.sql`SELECT DISTINCT seen_at FROM event_relay WHERE relay_url = ${relay.url}`;
    expect(seen.map((r) => Number(r.seen_at))).toEqual([NOW]);
  });

  it('stores none of the events a relay serves with invalid signatures, and counts them', async () => {
    const bad = await startTestRelay({ events: events.slice(0, 50), misbehave: { invalidSignatures: true } });
    try {
      await insertRelays(db.sql, [{ url: bad.url as RelayUrl, network: 'local', discoveredAt: 1 }]);
      const deps = { ...recordingDeps(db.sql, { now: () => NOW }), pool: harness.pool() };
      await createSynchronizer(deps, config()).cycle(new AbortController().signal);
      expect((await db.sql`SELECT count(*)::int AS n FROM event`)[0]?.n).toBe(0);
      expect(deps.counters.get('events_invalid')).toBe(50);
    } finally {
      await bad.close();
    }
  });

  it('enumerates a dense second with negentropy where the relay speaks it, and reports it where not', async () => {
    const dense = generateEvents(600, { seed: 9, kinds: [1], createdAt: () => NOW - 1_000 });
    const plain = await startTestRelay({
      events: dense,
      info: { supported_nips: [1], limitation: { max_limit: 100 } },
    });
    const neg = await startTestRelay({
      events: dense,
      info: { supported_nips: [1, 77], limitation: { max_limit: 100 } },
    });
    try {
      await insertRelays(db.sql, [{ url: plain.url as RelayUrl, network: 'local', discoveredAt: 1 }]);
      const deps = { ...recordingDeps(db.sql, { now: () => NOW }), pool: harness.pool() };
      await createSynchronizer(deps, config()).cycle(new AbortController().signal);
      expect(deps.counters.get('windows_possibly_incomplete')).toBe(1);
      expect((await storedIds(plain.url)).size).toBe(100);
      // the probe's answer is remembered
      const [probe] = await getServiceState(db.sql, 'synchronizer', 'checkpoint', plain.url);
      expect(probe?.stateValue).toMatchObject({ nip77: false, probed_at: NOW });
      // the second it could not enumerate is reported in the relay's sync outcome, not only counted
      const [outcome] = await getServiceState(db.sql, 'synchronizer', 'sync_status', plain.url);
      expect(outcome?.stateValue).toMatchObject({
        complete: false,
        reason: 'unlistable-second',
        gaps: [{ second: NOW - 1_000, kinds: [1], seen: 100 }],
      });

      await insertRelays(db.sql, [{ url: neg.url as RelayUrl, network: 'local', discoveredAt: 1 }]);
      const again = { ...recordingDeps(db.sql, { now: () => NOW }), pool: harness.pool() };
      // one filter per kind: the REQ walk, with negentropy only for the dense second
      const perKind = config({ processing: { ...config().processing, filters: [{ kinds: [1] }, { kinds: [2] }] } });
      await createSynchronizer(again, perKind).cycle(new AbortController().signal);
      expect(again.counters.get('windows_possibly_incomplete') ?? 0).toBe(0);
      expect(again.counters.get('negentropy_windows') ?? 0).toBe(0);
      expect(await storedIds(neg.url)).toEqual(new Set(dense.map((e) => e.id)));
    } finally {
      await plain.close();
      await neg.close();
    }
  });

  it('reconciles whole windows with negentropy, fetching only what it lacks, halving on blocked', async () => {
    const history = generateEvents(2_000, { seed: 21, createdAt: (i) => NOW - 5 * 86_400 + i * 200 });
    const neg = await startTestRelay({
      events: history,
      info: { supported_nips: [1, 77], limitation: { max_limit: 100 } },
      misbehave: { negentropyMaxRecords: 300 },
    });
    try {
      const relayRow = { url: neg.url as RelayUrl, network: 'local' as const, discoveredAt: 1 };
      await insertRelays(db.sql, [relayRow]);
      // we already hold 1,900 of its events from it
      await insertEventRelaysCascade(
        db.sql,
        history.slice(0, 1_900).map((event) => ({ event, relay: relayRow, seenAt: NOW })),
      );
      const deps = { ...recordingDeps(db.sql, { now: () => NOW }), pool: harness.pool() };
      await createSynchronizer(deps, config({ processing: { ...config().processing, since: NOW - 6 * 86_400 } })).cycle(
        new AbortController().signal,
      );
      expect(await storedIds(neg.url)).toEqual(new Set(history.map((e) => e.id)));
      expect(deps.counters.get('negentropy_events_fetched')).toBe(100);
      expect(deps.counters.get('negentropy_events_skipped')).toBe(1_900);
      expect(deps.counters.get('negentropy_fallbacks') ?? 0).toBe(0);
      expect(deps.counters.get('negentropy_blocked')).toBeGreaterThan(0);
      expect(deps.counters.get('events_inserted')).toBe(100);
      const [cursor] = await getServiceState(db.sql, 'synchronizer', 'cursor', neg.url);
      expect(cursor?.stateValue).toEqual({ timestamp: NOW, id: ZERO_EVENT_ID });
    } finally {
      await neg.close();
    }
  });
});

describe('synchronizer against hostile relays', () => {
  const history = generateEvents(600, { seed: 31, createdAt: (i) => NOW - 2 * 86_400 + i * 250 });
  // all: archived completely; some: only what could be proven, the cursor kept before the rest; none: nothing
  const cases: { name: string; misbehave: Misbehaviour; stored: 'all' | 'some' | 'none' }[] = [
    { name: 'ignores until', misbehave: { ignoreUntil: true }, stored: 'some' },
    { name: 'returns more than limit (a flood)', misbehave: { ignoreLimit: true }, stored: 'all' },
    { name: 'sends garbage frames', misbehave: { garbage: true }, stored: 'all' },
    { name: 'sends events under a subscription never opened', misbehave: { wrongSubId: true }, stored: 'none' },
    { name: 'never sends EOSE', misbehave: { noEose: true }, stored: 'some' },
    { name: 'drips one byte at a time', misbehave: { dripMs: 1 }, stored: 'some' },
  ];
  for (const c of cases) {
    it(`a relay that ${c.name}: bounded, nothing foreign stored, no cursor past what was stored`, async () => {
      const bad = await startTestRelay({
        events: history,
        info: { supported_nips: [1], limitation: { max_limit: 100 } },
        misbehave: c.misbehave,
      });
      try {
        await insertRelays(db.sql, [{ url: bad.url as RelayUrl, network: 'local', discoveredAt: 1 }]);
        const deps = { ...recordingDeps(db.sql, { now: () => NOW }), pool: harness.pool() };
        await createSynchronizer(deps, config({ timeouts: { idle: 2, max_duration: 8 } })).cycle(
          new AbortController().signal,
        );
        const stored = await storedIds(bad.url);
        const served = new Set<string>(history.map((e) => e.id));
        expect([...stored].every((id) => served.has(id))).toBe(true);
        const [cursor] = await getServiceState(db.sql, 'synchronizer', 'cursor', bad.url);
        if (c.stored === 'all') {
          expect(stored).toEqual(served);
          expect(cursor?.stateValue).toEqual({ timestamp: NOW, id: ZERO_EVENT_ID });
        }
        if (c.stored === 'none') expect(stored.size).toBe(0);
        // 'some': not everything (the misbehaviour was noticed), and the cursor stops before what is missing
        if (c.stored === 'some') expect(stored.size).toBeLessThan(served.size);
        // 'none': the relay answered every REQ with EOSE alone, so its cursor may move
        if (c.stored !== 'none') await expectCursorBehindStored(bad.url, history);
      } finally {
        await bad.close();
      }
      // the cycle stops at max_duration (8 s); the rest is margin for a loaded machine
    }, 30_000);
  }

  it('archives events at created_at 0, 1 and on from since 0 (no window below zero)', async () => {
    const early = generateEvents(20, { seed: 32, createdAt: (i) => (i < 3 ? 0 : i < 6 ? 1 : i) });
    const relay = await startTestRelay({ events: early, info: { supported_nips: [1], limitation: { max_limit: 5 } } });
    try {
      await insertRelays(db.sql, [{ url: relay.url as RelayUrl, network: 'local', discoveredAt: 1 }]);
      const deps = { ...recordingDeps(db.sql, { now: () => NOW }), pool: harness.pool() };
      await createSynchronizer(deps, config({ processing: { ...config().processing, since: 0 } })).cycle(
        new AbortController().signal,
      );
      expect(await storedIds(relay.url)).toEqual(new Set(early.map((e) => e.id)));
    } finally {
      await relay.close();
    }
  });
});

/**
 * Every served event at or before the relay's cursor is stored: the cursor is before the first served event that
 * is not. A relay without a cursor is still at `since`, before every served event.
 */
async function expectCursorBehindStored(url: string, served: readonly NostrEvent[]): Promise<void> {
  const [cursor] = await getServiceState(db.sql, 'synchronizer', 'cursor', url);
  const stored = await storedIds(url);
  const since = config().processing.since;
  const c = cursor ? Number(cursor.stateValue.timestamp) : since;
  const firstMissing = served.reduce((m, e) => (stored.has(e.id) ? m : Math.min(m, e.created_at)), Infinity);
  expect(served.every((e) => e.created_at > since)).toBe(true);
  expect(c).toBeLessThan(firstMissing);
}
