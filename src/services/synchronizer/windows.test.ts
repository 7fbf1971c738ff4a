import { afterEach, describe, expect, it } from 'vitest';
import type { NostrEvent } from '../../models/event.js';
import { connectRelay } from '../../nips/nip01/connection.js';
import { generateEvents } from '../../testing/events.js';
import { startTestRelay, type TestRelayOpts } from '../../testing/relay/relay.js';
import { connectionFetcher } from './fetch.js';
import { negentropyEnumerator } from './negentropy.js';
import { walkWindow } from './windows.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function archive(
  opts: TestRelayOpts,
  walk: { limit: number; since?: number; until?: number; negentropy?: boolean; idleMs?: number },
) {
  const relay = await startTestRelay(opts);
  cleanup.push(() => relay.close());
  const c = await connectRelay(relay.url, { network: 'local', allowLocal: true });
  if (!c.ok) throw new Error(c.reason);
  cleanup.push(() => c.value.close());
  const conn = c.value;
  const got = new Map<string, NostrEvent>();
  const enumerateSecond = negentropyEnumerator(conn, connectionFetcher(conn, { idleTimeoutMs: 5_000 }));
  const report = await walkWindow(
    connectionFetcher(conn, { idleTimeoutMs: walk.idleMs ?? 5_000 }),
    {},
    {
      since: walk.since ?? 0,
      until: walk.until ?? 2_000_000_000,
      limit: walk.limit,
      emit: async (events) => {
        for (const e of events) got.set(e.id, e);
      },
      ...(walk.negentropy ? { enumerateSecond } : {}),
      signal: AbortSignal.timeout(60_000),
    },
  );
  return { got, report };
}

const ids = (events: readonly NostrEvent[]) => new Set(events.map((e) => e.id));

describe('walkWindow against the test relay', () => {
  it('collects every event of a long history through pages of max_limit', async () => {
    const events = generateEvents(2_000, { seed: 1, createdAt: (i) => 1_700_000_000 + i * 37 });
    const { got, report } = await archive({ events, info: { limitation: { max_limit: 100 } } }, { limit: 100 });
    expect(ids([...got.values()])).toEqual(ids(events));
    expect(report.incomplete).toEqual([]);
    expect(report.failure).toBeUndefined();
  });

  it('learns a relay cap below our limit from a short page, and still collects everything', async () => {
    const events = generateEvents(1_000, { seed: 6, createdAt: (i) => 1_700_000_000 + i * 11 });
    const { got, report } = await archive({ events, info: { limitation: { max_limit: 100 } } }, { limit: 500 });
    expect(report.limit).toBe(100);
    expect(ids([...got.values()])).toEqual(ids(events));
  });

  it('archives 5,000 events in one second over 20 kinds completely with max_limit 500, without negentropy', async () => {
    // 20 regular kinds, so the relay keeps every event (replaceable kinds would keep only the latest)
    const kinds = [1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 40, 41, 42, 1063, 1984];
    const dense = generateEvents(5_000, { seed: 2, kinds, createdAt: () => 1_700_000_500 });
    const around = generateEvents(300, { seed: 3, createdAt: (i) => 1_700_000_000 + i * 3 });
    const events = [...dense, ...around];
    const { got, report } = await archive(
      { events, info: { supported_nips: [1], limitation: { max_limit: 500 } } },
      { limit: 500 },
    );
    const stored = new Set(events.map((e) => e.id));
    expect(stored.size).toBe(5_300);
    expect(got.size).toBe(stored.size);
    expect(ids([...got.values()])).toEqual(stored);
    expect(report.incomplete).toEqual([]);
  });

  it('one kind, 5,000 events in one second: complete with negentropy, reported as possibly incomplete without', async () => {
    const events = generateEvents(5_000, { seed: 4, kinds: [1], createdAt: () => 1_700_000_500 });
    const relayOpts = { events, info: { supported_nips: [1, 77], limitation: { max_limit: 500 } } };
    const without = await archive(relayOpts, { limit: 500 });
    expect(without.got.size).toBeLessThan(5_000);
    expect(without.report.incomplete).toEqual([
      { second: 1_700_000_500, filter: { kinds: [1], since: 1_700_000_500, until: 1_700_000_500 }, seen: 500 },
    ]);
    const withNeg = await archive(relayOpts, { limit: 500, negentropy: true });
    expect(ids([...withNeg.got.values()])).toEqual(ids(events));
    expect(withNeg.report.incomplete).toEqual([]);
  });

  it('stops with the failure of a relay that stalls, keeping what came before', async () => {
    const events = generateEvents(50, { seed: 5 });
    const { report } = await archive({ events, misbehave: { noEose: true } }, { limit: 20, idleMs: 500 });
    expect(report.failure?.reason).toBe('timeout');
  });
});
