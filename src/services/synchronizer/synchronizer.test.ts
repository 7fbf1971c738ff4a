import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { getServiceState, insertRelays, upsertServiceState } from '../../core/db/store.js';
import type { NostrEvent } from '../../models/event.js';
import type { RelayUrl } from '../../models/relay.js';
import { generateEvents } from '../../testing/events.js';
import { startTestRelay, type TestRelay } from '../../testing/relay/relay.js';
import { recordingDeps } from '../../testing/service-deps.js';
import { useTestDatabase } from '../../testing/vitest/db.js';
import { createVerifierPool, type VerifierPool } from '../../utils/verifier/pool.js';
import { synchronizerConfigSchema } from './config.js';
import { createSynchronizer } from './synchronizer.js';

const db = useTestDatabase('bigbrotr');
const NOW = 1_700_100_000;
let pool: VerifierPool;
beforeAll(() => {
  pool = createVerifierPool({ threads: 1 });
});
afterAll(async () => {
  await pool.close();
});
beforeEach(async () => {
  await db.sql`DELETE FROM service_state`;
  await db.sql`DELETE FROM relay`;
  await db.sql`DELETE FROM event`;
});

const config = (over: Record<string, unknown> = {}) =>
  synchronizerConfigSchema.parse({
    networks: { clearnet: { enabled: false }, local: { enabled: true, timeout: 3 } },
    processing: { limit: 100, end_lag: 0, batch_size: 100, since: 1_699_000_000 },
    timeouts: { idle: 3 },
    ...over,
  });

async function storedIds(url: string): Promise<Set<string>> {
  const rows = await db.sql`SELECT encode(event_id, 'hex') AS id FROM event_relay WHERE relay_url = ${url}`;
  return new Set(rows.map((r) => String(r.id)));
}

describe('synchronizer', () => {
  let relay: TestRelay;
  let events: NostrEvent[];
  beforeAll(async () => {
    // 3 days of history, a dense second, and events that the relay serves with a bad signature
    events = [
      ...generateEvents(1_500, { seed: 1, createdAt: (i) => NOW - 3 * 86_400 + i * 151 }),
      ...generateEvents(400, { seed: 2, kinds: [1, 7, 6, 16], createdAt: () => NOW - 40_000 }),
    ];
    relay = await startTestRelay({ events, info: { supported_nips: [1, 11], limitation: { max_limit: 100 } } });
  });
  afterAll(async () => {
    await relay?.close();
  });

  it('archives every event of a relay with provenance, moving the cursor to the end', async () => {
    await insertRelays(db.sql, [{ url: relay.url as RelayUrl, network: 'local', discoveredAt: 1 }]);
    const deps = { ...recordingDeps(db.sql, { now: () => NOW }), pool };
    await createSynchronizer(deps, config()).cycle(new AbortController().signal);
    expect(await storedIds(relay.url)).toEqual(new Set(events.map((e) => e.id)));
    const [cursor] = await getServiceState(db.sql, 'synchronizer', 'cursor', relay.url);
    expect(cursor?.stateValue).toEqual({ timestamp: NOW });
    expect(deps.counters.get('events_inserted')).toBe(events.length);
    // a second cycle finds the relay up to date
    await createSynchronizer(deps, config()).cycle(new AbortController().signal);
    expect(deps.gauges.get('relays_seen')).toBe(0);
  });

  it('stores none of the events a relay serves with invalid signatures, and counts them', async () => {
    const bad = await startTestRelay({ events: events.slice(0, 50), misbehave: { invalidSignatures: true } });
    try {
      await insertRelays(db.sql, [{ url: bad.url as RelayUrl, network: 'local', discoveredAt: 1 }]);
      const deps = { ...recordingDeps(db.sql, { now: () => NOW }), pool };
      await createSynchronizer(deps, config()).cycle(new AbortController().signal);
      expect((await db.sql`SELECT count(*)::int AS n FROM event`)[0]?.n).toBe(0);
      expect(deps.counters.get('events_invalid')).toBe(50);
    } finally {
      await bad.close();
    }
  });

  it('uses negentropy for a dense second where the monitor saw NIP-77 work, and reports it where not', async () => {
    const dense = generateEvents(600, { seed: 9, kinds: [1], createdAt: () => NOW - 1_000 });
    const neg = await startTestRelay({
      events: dense,
      info: { supported_nips: [1, 77], limitation: { max_limit: 100 } },
    });
    try {
      await insertRelays(db.sql, [{ url: neg.url as RelayUrl, network: 'local', discoveredAt: 1 }]);
      const capabilities = { nip77: { advertised: true, observed: false } };
      const checkpoint = (observed: boolean) => ({
        serviceName: 'monitor' as const,
        stateType: 'checkpoint' as const,
        stateKey: neg.url,
        stateValue: { timestamp: 1, verdict: 'online', capabilities: { nip77: { ...capabilities.nip77, observed } } },
      });
      await upsertServiceState(db.sql, [checkpoint(false)]);
      const deps = { ...recordingDeps(db.sql, { now: () => NOW }), pool };
      await createSynchronizer(deps, config()).cycle(new AbortController().signal);
      expect(deps.counters.get('windows_possibly_incomplete')).toBe(1);
      expect((await storedIds(neg.url)).size).toBe(100);
      await db.sql`DELETE FROM service_state WHERE service_name = 'synchronizer'`;
      await upsertServiceState(db.sql, [checkpoint(true)]);
      const again = { ...recordingDeps(db.sql, { now: () => NOW }), pool };
      await createSynchronizer(again, config()).cycle(new AbortController().signal);
      expect(again.counters.get('windows_possibly_incomplete') ?? 0).toBe(0);
      expect(await storedIds(neg.url)).toEqual(new Set(dense.map((e) => e.id)));
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
        createSynchronizer({ ...recordingDeps(db.sql, { now: () => NOW }), pool, owner }, config());
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
      const deps = { ...recordingDeps(db.sql, { now: () => NOW }), pool };
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
});
