import { beforeEach, describe, expect, it } from 'vitest';
import { refreshAllStatistics, STATISTICS_VIEWS } from '../../core/db/maintenance.js';
import {
  getServiceState,
  insertEventRelaysCascade,
  insertEvents,
  insertMetadata,
  insertRelayMetadataCascade,
  upsertServiceState,
} from '../../core/db/store.js';
import { runService } from '../../core/runner.js';
import { buildMetadata } from '../../models/metadata.js';
import type { Relay, RelayUrl } from '../../models/relay.js';
import { generateEvents } from '../../testing/events.js';
import { recordingDeps } from '../../testing/service-deps.js';
import { useTestDatabase } from '../../testing/vitest/db.js';
import { refresherConfigSchema } from './config.js';
import { createRefresher, ORPHAN_CLEANUP_KEY } from './refresher.js';

const db = useTestDatabase('bigbrotr');
const signal = () => new AbortController().signal;
const relay: Relay = { url: 'wss://relay.example.com' as RelayUrl, network: 'clearnet', discoveredAt: 1_700_000_000 };
const config = (over: Record<string, unknown> = {}) => refresherConfigSchema.parse(over);

const count = async (table: string) => {
  const [row] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM ${db.sql(table)}`;
  return row?.n ?? 0;
};

async function runOnce(service: ReturnType<typeof createRefresher>): Promise<void> {
  if (service.cleanup) await service.cleanup(signal());
  await service.cycle(signal());
}

beforeEach(async () => {
  await db.sql`DELETE FROM service_state`;
  await db.sql`DELETE FROM event_relay`;
  await db.sql`DELETE FROM event`;
  await db.sql`DELETE FROM relay_metadata`;
  await db.sql`DELETE FROM metadata`;
  await db.sql`DELETE FROM relay`;
  await refreshAllStatistics(db.sql); // empty views: each test sees only what it refreshed
});

describe('refresher views', () => {
  it('refreshes every configured view so new data becomes visible', async () => {
    const events = generateEvents(12, { seed: 7, kinds: [1, 7] });
    await insertEventRelaysCascade(
      db.sql,
      events.map((event) => ({ event, relay, seenAt: 1_700_000_100 })),
    );
    await insertRelayMetadataCascade(db.sql, [
      {
        relay,
        metadata: buildMetadata('nip11_info', { data: { name: 'x', software: 'strfry' } }),
        generatedAt: 1_700_000_200,
      },
    ]);
    const deps = recordingDeps(db.sql);
    await runOnce(createRefresher(deps, config({ cleanup: { enabled: false } })));

    const [stats] = await db.sql<{ event_count: string }[]>`SELECT event_count FROM event_stats`;
    expect(Number(stats?.event_count)).toBe(12);
    const kinds = await db.sql<{ kind: number; event_count: string }[]>`
      SELECT kind, event_count FROM kind_counts ORDER BY kind`;
    expect(kinds.map((k) => [k.kind, Number(k.event_count)])).toEqual([
      [1, 6],
      [7, 6],
    ]);
    expect(await count('relay_metadata_latest')).toBe(1);
    const [soft] = await db.sql<{ software: string }[]>`SELECT software FROM relay_software_counts`;
    expect(soft?.software).toBe('strfry');
    expect(deps.gauges.get('views_total')).toBe(STATISTICS_VIEWS.length);
    expect(deps.gauges.get('views_refreshed')).toBe(STATISTICS_VIEWS.length);
    expect(deps.gauges.get('views_failed')).toBe(0);
    for (const view of STATISTICS_VIEWS) expect(deps.gauges.get(`duration_${view}`)).toBeGreaterThanOrEqual(0);
  });

  it('refreshes only the configured views, in order', async () => {
    await insertEventRelaysCascade(
      db.sql,
      generateEvents(3, { seed: 8 }).map((event) => ({ event, relay, seenAt: 1 })),
    );
    const deps = recordingDeps(db.sql);
    await runOnce(createRefresher(deps, config({ refresh: { views: ['kind_counts', 'event_stats'] } })));
    const order = deps.logs.filter((l) => l.message === 'view_refreshed').map((l) => l.fields.view);
    expect(order).toEqual(['kind_counts', 'event_stats']);
    expect(deps.gauges.get('views_total')).toBe(2);
    expect(await count('kind_counts')).toBe(1);
    // a view that was not configured keeps its old (empty) content
    expect(await count('pubkey_counts')).toBe(0);
  });

  it('counts a failing view and refreshes the others', async () => {
    await insertEventRelaysCascade(
      db.sql,
      generateEvents(5, { seed: 9, pubkeys: 5 }).map((event) => ({ event, relay, seenAt: 1 })),
    );
    const views = ['event_stats', 'kind_counts', 'pubkey_counts'];
    const deps = recordingDeps(db.sql);
    const service = createRefresher(deps, config({ refresh: { views } }));
    await db.sql`ALTER FUNCTION kind_counts_refresh() RENAME TO kind_counts_refresh_away`;
    try {
      await runOnce(service);
    } finally {
      await db.sql`ALTER FUNCTION kind_counts_refresh_away() RENAME TO kind_counts_refresh`;
    }
    expect(deps.gauges.get('views_total')).toBe(3);
    expect(deps.gauges.get('views_refreshed')).toBe(2);
    expect(deps.gauges.get('views_failed')).toBe(1);
    const failed = deps.logs.find((l) => l.message === 'view_refresh_failed');
    expect(failed?.fields).toMatchObject({ view: 'kind_counts', code: '42883' });
    expect(await count('kind_counts')).toBe(0);
    expect(await count('pubkey_counts')).toBe(5);
    const [stats] = await db.sql<{ event_count: string }[]>`SELECT event_count FROM event_stats`;
    expect(Number(stats?.event_count)).toBe(5);
  });

  it('fails the cycle when every view fails', async () => {
    const deps = recordingDeps(db.sql);
    await db.sql`ALTER FUNCTION supported_nip_counts_refresh() RENAME TO supported_nip_counts_refresh_away`;
    try {
      const code = await runService(createRefresher(deps, config({ refresh: { views: ['supported_nip_counts'] } })), {
        intervalSec: 60,
        maxConsecutiveFailures: 1,
        once: true,
        graceMs: 1000,
        logger: deps.logger,
        metrics: deps.metrics,
      });
      expect(code).toBe(1);
    } finally {
      await db.sql`ALTER FUNCTION supported_nip_counts_refresh_away() RENAME TO supported_nip_counts_refresh`;
    }
    expect(deps.counters.get('errors_RefreshFailedError')).toBe(1);
    expect(deps.gauges.get('views_failed')).toBe(1);
  });

  it('stops between views when asked to stop', async () => {
    const deps = recordingDeps(db.sql);
    const stop = new AbortController();
    stop.abort();
    await createRefresher(deps, config()).cycle(stop.signal);
    expect(deps.gauges.get('views_refreshed')).toBe(0);
    expect(deps.logs.some((l) => l.message === 'view_refreshed')).toBe(false);
  });
});

describe('refresher orphan cleanup', () => {
  const day = 86_400;
  let seed = 100;
  async function seedOrphans(): Promise<{ eventId: string; metadataId: string }> {
    seed += 1;
    const [kept, orphan] = generateEvents(2, { seed });
    if (!kept || !orphan) throw new Error('generateEvents returned too few');
    await insertEventRelaysCascade(db.sql, [{ event: kept, relay, seenAt: 1 }]);
    await insertEvents(db.sql, [orphan]);
    await insertRelayMetadataCascade(db.sql, [
      { relay, metadata: buildMetadata('nip66_rtt', { rtt_open: seed }), generatedAt: seed },
    ]);
    const doc = buildMetadata('nip66_rtt', { rtt_open: -seed });
    await insertMetadata(db.sql, [doc]);
    return { eventId: orphan.id, metadataId: doc.id };
  }
  const hasEvent = async (id: string) =>
    (await db.sql`SELECT 1 FROM event WHERE id = ${Buffer.from(id, 'hex')}`).length === 1;
  const hasMetadata = async (id: string) =>
    (await db.sql`SELECT 1 FROM metadata WHERE id = ${Buffer.from(id, 'hex')}`).length === 1;

  it('deletes orphan events and metadata, keeps the rest, and records when it ran', async () => {
    const orphans = await seedOrphans();
    const deps = recordingDeps(db.sql, { now: () => 1_000_000 });
    await runOnce(createRefresher(deps, config({ refresh: { views: ['event_stats'] } })));
    expect(await hasEvent(orphans.eventId)).toBe(false);
    expect(await hasMetadata(orphans.metadataId)).toBe(false);
    expect(await count('event')).toBe(1);
    expect(await count('metadata')).toBe(1);
    expect(deps.counters.get('orphan_events_deleted')).toBe(1);
    expect(deps.counters.get('orphan_metadata_deleted')).toBe(1);
    const state = await getServiceState(db.sql, 'refresher', 'checkpoint', ORPHAN_CLEANUP_KEY);
    expect(state[0]?.stateValue).toEqual({ timestamp: 1_000_000 });
    // the views are refreshed after the cleanup, so they no longer count the orphan
    const [stats] = await db.sql<{ event_count: string }[]>`SELECT event_count FROM event_stats`;
    expect(Number(stats?.event_count)).toBe(1);
  });

  it('respects its interval across restarts', async () => {
    let now = 2_000_000;
    const build = () =>
      createRefresher(
        recordingDeps(db.sql, { now: () => now }),
        config({ refresh: { views: [] }, cleanup: { interval: day } }),
      );
    await seedOrphans();
    await runOnce(build());
    const second = await seedOrphans();
    now += day - 1;
    await runOnce(build()); // a restart one second before the interval is up: nothing deleted
    expect(await hasEvent(second.eventId)).toBe(true);
    expect(await hasMetadata(second.metadataId)).toBe(true);
    now += 1;
    await runOnce(build());
    expect(await hasEvent(second.eventId)).toBe(false);
    expect(await hasMetadata(second.metadataId)).toBe(false);
    const state = await getServiceState(db.sql, 'refresher', 'checkpoint', ORPHAN_CLEANUP_KEY);
    expect(state[0]?.stateValue).toEqual({ timestamp: 2_000_000 + day });
  });

  it('does nothing when disabled', async () => {
    const orphans = await seedOrphans();
    const deps = recordingDeps(db.sql, { now: () => 3_000_000 });
    await runOnce(createRefresher(deps, config({ refresh: { views: [] }, cleanup: { enabled: false } })));
    expect(await hasEvent(orphans.eventId)).toBe(true);
    expect(await getServiceState(db.sql, 'refresher', 'checkpoint', ORPHAN_CLEANUP_KEY)).toEqual([]);
  });

  it('a failing cleanup is logged, retried next cycle, and does not stop the views', async () => {
    const orphans = await seedOrphans();
    await upsertServiceState(db.sql, [
      { serviceName: 'refresher', stateType: 'checkpoint', stateKey: ORPHAN_CLEANUP_KEY, stateValue: { timestamp: 1 } },
    ]);
    const deps = recordingDeps(db.sql, { now: () => 4_000_000 });
    const service = createRefresher(deps, config({ refresh: { views: ['event_stats'] } }));
    await db.sql`ALTER FUNCTION orphan_event_delete(integer) RENAME TO orphan_event_delete_away`;
    try {
      await runOnce(service);
    } finally {
      await db.sql`ALTER FUNCTION orphan_event_delete_away(integer) RENAME TO orphan_event_delete`;
    }
    expect(deps.counters.get('orphan_cleanup_failed')).toBe(1);
    expect(deps.gauges.get('views_refreshed')).toBe(1);
    const state = await getServiceState(db.sql, 'refresher', 'checkpoint', ORPHAN_CLEANUP_KEY);
    expect(state[0]?.stateValue).toEqual({ timestamp: 1 });
    await runOnce(service);
    expect(await hasEvent(orphans.eventId)).toBe(false);
  });
});
