/**
 * Synchronizer cycles against several relays and relays that fail, ask for authentication or payment, stall or
 * keep publishing: replicas split the relays, cursors stay before a failed window, priority relays keep their
 * share, the live tail moves no cursor.
 */
import { describe, expect, it } from 'vitest';
import { getServiceState, insertRelays, upsertServiceState } from '../../core/db/store.js';
import type { NostrEvent } from '../../models/event.js';
import type { RelayUrl } from '../../models/relay.js';
import { ZERO_EVENT_ID } from '../../models/service-state.js';
import { connectRelay } from '../../nips/nip01/connection.js';
import { publishEvent } from '../../nips/nip01/publish.js';
import { createSigner } from '../../nips/signer.js';
import { generateEvents, testSecretKey } from '../../testing/events.js';
import { startTestRelay } from '../../testing/relay/relay.js';
import { recordingDeps } from '../../testing/service-deps.js';
import { localSyncConfig, syncHistory, useSyncHarness } from '../../testing/vitest/sync-harness.js';
import { createSynchronizer } from './synchronizer.js';

const harness = useSyncHarness();
const db = harness.db;
const NOW = 1_700_100_000;

const config = localSyncConfig;
const storedIds = (url: string) => harness.stored(url);

describe('synchronizer: failures, authentication, priority and the live tail', () => {
  // 3 days of history and a dense second, served in parts by the relays of each test
  const events = syncHistory(NOW);
  it('walks windows where it holds nothing from a NIP-77 relay with REQ pages, not lists of ids', async () => {
    const history = generateEvents(300, { seed: 22, createdAt: (i) => NOW - 2 * 86_400 + i * 500 });
    const neg = await startTestRelay({ events: history, info: { supported_nips: [1, 77] } });
    try {
      await insertRelays(db.sql, [{ url: neg.url as RelayUrl, network: 'local', discoveredAt: 1 }]);
      const deps = { ...recordingDeps(db.sql, { now: () => NOW }), pool: harness.pool() };
      await createSynchronizer(deps, config({ processing: { ...config().processing, since: NOW - 3 * 86_400 } })).cycle(
        new AbortController().signal,
      );
      expect(await storedIds(neg.url)).toEqual(new Set(history.map((e) => e.id)));
      expect(deps.counters.get('negentropy_events_fetched') ?? 0).toBe(0);
      expect(deps.counters.get('req_requests')).toBeGreaterThan(0);
      expect(deps.counters.get('negentropy_fallbacks') ?? 0).toBe(0);
    } finally {
      await neg.close();
    }
  });

  it('two replicas split the relays: each relay synced by one of them, every event stored', async () => {
    const relays = await Promise.all(
      [11, 12, 13, 14].map((seed) =>
        startTestRelay({ events: generateEvents(300, { seed, createdAt: (i) => NOW - 10_000 + i * 7 }) }),
      ),
    );
    try {
      await insertRelays(
        db.sql,
        relays.map((r) => ({ url: r.url as RelayUrl, network: 'local' as const, discoveredAt: 1 })),
      );
      const replica = (owner: string) =>
        createSynchronizer({ ...recordingDeps(db.sql, { now: () => NOW }), pool: harness.pool(), owner }, config());
      await Promise.all([
        replica('a').cycle(new AbortController().signal),
        replica('b').cycle(new AbortController().signal),
      ]);
      expect(relays.map((r) => r.connections())).toEqual([1, 1, 1, 1]);
      for (const r of relays) expect(await storedIds(r.url)).toEqual(new Set(r.store.all().map((e) => e.id)));
      expect(await getServiceState(db.sql, 'synchronizer', 'lease')).toEqual([]);
    } finally {
      await Promise.all(relays.map((r) => r.close()));
    }
  });

  it('keeps the cursor before a window a relay failed in, and resumes there', async () => {
    const flaky = await startTestRelay({
      events: events.slice(0, 1_500),
      info: { limitation: { max_limit: 100 } },
      misbehave: { closeAfter: 50 },
    });
    try {
      await insertRelays(db.sql, [{ url: flaky.url as RelayUrl, network: 'local', discoveredAt: 1 }]);
      const deps = { ...recordingDeps(db.sql, { now: () => NOW }), pool: harness.pool() };
      await createSynchronizer(deps, config()).cycle(new AbortController().signal);
      const [cursor] = await getServiceState(db.sql, 'synchronizer', 'cursor', flaky.url);
      expect(Number(cursor?.stateValue.timestamp ?? 0)).toBeLessThan(NOW);
      flaky.misbehave = {};
      await createSynchronizer(deps, config()).cycle(new AbortController().signal);
      expect(await storedIds(flaky.url)).toEqual(new Set(events.slice(0, 1_500).map((e) => e.id)));
    } finally {
      await flaky.close();
    }
  });

  it('answers NIP-42 AUTH with its key; records a relay that wants payment and skips it', async () => {
    const authed = await startTestRelay({
      events: events.slice(0, 200),
      info: { supported_nips: [1, 42] },
      authRequired: { read: true },
    });
    const paid = await startTestRelay({
      events: events.slice(200, 300),
      info: { supported_nips: [1] },
      misbehave: { refuseReads: 'restricted: payment required to read' },
    });
    try {
      await insertRelays(db.sql, [
        { url: authed.url as RelayUrl, network: 'local', discoveredAt: 1 },
        { url: paid.url as RelayUrl, network: 'local', discoveredAt: 1 },
      ]);
      const signer = createSigner(testSecretKey(5, 0));
      const deps = { ...recordingDeps(db.sql, { now: () => NOW }), pool: harness.pool(), signer };
      await createSynchronizer(deps, config()).cycle(new AbortController().signal);
      expect(await storedIds(authed.url)).toEqual(new Set(events.slice(0, 200).map((e) => e.id)));
      expect((await storedIds(paid.url)).size).toBe(0);
      expect(deps.counters.get('relay_errors_payment_required')).toBe(1);
      const [checkpoint] = await getServiceState(db.sql, 'synchronizer', 'checkpoint', paid.url);
      expect(checkpoint?.stateValue.payment_required_at).toBe(NOW);
      // skipped on the next cycle: no new connection
      const before = paid.connections();
      await createSynchronizer(deps, config()).cycle(new AbortController().signal);
      expect(paid.connections()).toBe(before);
    } finally {
      await authed.close();
      await paid.close();
    }
  });

  it('syncs priority relays with their own share while the other relays are stuck', async () => {
    const stuck = await startTestRelay({ events: events.slice(0, 100), misbehave: { stall: true } });
    const important = await startTestRelay({ events: events.slice(100, 400), info: { supported_nips: [1] } });
    try {
      // the stuck relay is the most behind (no cursor), and the network allows one relay at a time
      await insertRelays(db.sql, [
        { url: stuck.url as RelayUrl, network: 'local', discoveredAt: 1 },
        { url: important.url as RelayUrl, network: 'local', discoveredAt: 1 },
      ]);
      const behind = {
        serviceName: 'synchronizer' as const,
        stateType: 'cursor' as const,
        stateKey: important.url,
        stateValue: { timestamp: 1_699_000_001 },
      };
      await upsertServiceState(db.sql, [behind]);
      const deps = { ...recordingDeps(db.sql, { now: () => NOW }), pool: harness.pool() };
      const withPriority = (priority: string[]) =>
        config({
          networks: { clearnet: { enabled: false }, local: { enabled: true, timeout: 3, max_tasks: 1 } },
          processing: { ...config().processing, priority_relays: priority },
          timeouts: { idle: 3, max_duration: 2 },
        });
      // without priority, the relay queued behind the stuck one gets nothing before the deadline
      await createSynchronizer(deps, withPriority([])).cycle(new AbortController().signal);
      expect((await storedIds(important.url)).size).toBe(0);
      await db.sql`DELETE FROM service_state`;
      await upsertServiceState(db.sql, [behind]);
      await createSynchronizer(deps, withPriority([important.url])).cycle(new AbortController().signal);
      expect(await storedIds(important.url)).toEqual(new Set(events.slice(100, 400).map((e) => e.id)));
      const [cursor] = await getServiceState(db.sql, 'synchronizer', 'cursor', important.url);
      expect(cursor?.stateValue).toEqual({ timestamp: NOW, id: ZERO_EVENT_ID });
    } finally {
      await stuck.close();
      await important.close();
    }
  });

  it('tails caught-up relays for new events until the deadline, without moving their cursor', async () => {
    const live = await startTestRelay({ events: events.slice(0, 50), info: { supported_nips: [1] } });
    try {
      await insertRelays(db.sql, [{ url: live.url as RelayUrl, network: 'local', discoveredAt: 1 }]);
      const wallNow = Math.floor(Date.now() / 1000);
      const deps = { ...recordingDeps(db.sql, { now: () => wallNow }), pool: harness.pool() };
      const tailing = config({
        processing: { ...config().processing, live_tail: true, until: NOW },
        timeouts: { idle: 3, max_duration: 3 },
      });
      const cycle = createSynchronizer(deps, tailing).cycle(new AbortController().signal);
      // once the tail subscription is open, a new event reaches the relay
      const fresh = generateEvents(1, { seed: 99, createdAt: () => wallNow + 1 })[0] as NostrEvent;
      const started = Date.now();
      while (!deps.gauges.get('tail_relays') && Date.now() - started < 5_000)
        await new Promise((r) => setTimeout(r, 25));
      await new Promise((r) => setTimeout(r, 200));
      const client = await connectRelay(live.url, { allowLocal: true, network: 'local' });
      if (!client.ok) throw new Error(client.reason);
      await using conn = client.value;
      expect((await publishEvent(conn, fresh)).ok).toBe(true);
      await cycle;
      expect((await storedIds(live.url)).has(fresh.id)).toBe(true);
      const [cursor] = await getServiceState(db.sql, 'synchronizer', 'cursor', live.url);
      expect(cursor?.stateValue).toEqual({ timestamp: NOW, id: ZERO_EVENT_ID });
    } finally {
      await live.close();
    }
  });
});
