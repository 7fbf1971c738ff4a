import { beforeEach, describe, expect, it } from 'vitest';
import { getServiceState, insertEventRelaysCascade, upsertServiceState } from '../../core/db/store.js';
import type { NostrEvent } from '../../models/event.js';
import type { Relay, RelayUrl } from '../../models/relay.js';
import { signEvent, testSecretKey } from '../../testing/events.js';
import { recordingDeps } from '../../testing/service-deps.js';
import { useTestDatabase } from '../../testing/vitest/db.js';
import { finderConfigSchema } from './config.js';
import { createFinder } from './finder.js';

const db = useTestDatabase('bigbrotr');
const signal = () => new AbortController().signal;
const relay = (host: string): Relay => ({ url: `wss://${host}` as RelayUrl, network: 'clearnet', discoveredAt: 1 });
const R1 = relay('r1.example.com');
const R2 = relay('r2.example.com');
const author = testSecretKey(7, 0);
const monitorKey = testSecretKey(7, 1);
const monitor = signEvent({ created_at: 1, kind: 1, tags: [], content: '' }, monitorKey).pubkey;
const ID = 'c'.repeat(64);
let serial = 0;
const event = (kind: number, tags: string[][], content = '', sk = author): NostrEvent =>
  signEvent({ created_at: 1_700_000_000 + serial++, kind, tags, content }, sk);
const store = (rows: { event: NostrEvent; relay: Relay; seenAt: number }[]) => insertEventRelaysCascade(db.sql, rows);

const config = (events: Record<string, unknown> = {}) =>
  finderConfigSchema.parse({
    api: { enabled: false },
    monitors: { pubkeys: [monitor] },
    events: { scan_size: 10, batch_size: 10, ...events },
  });
const candidates = async () =>
  (
    await db.sql<{ state_key: string }[]>`
    SELECT state_key FROM service_state WHERE service_name = 'validator' ORDER BY state_key`
  ).map((r) => r.state_key);
const cursor = async (url: string) => (await getServiceState(db.sql, 'finder', 'cursor', url))[0]?.stateValue;

beforeEach(async () => {
  await db.sql`TRUNCATE service_state, event_relay, event, relay CASCADE`;
});

describe('finder event phase', () => {
  it('extracts every kind of mention, stores cursors, and then scans only new rows', async () => {
    const e1 = event(1, [
      ['e', ID, 'wss://hint-e.example.com'],
      ['p', ID, 'wss://hint-p.example.com'],
      ['a', `30023:${ID}:x`, 'wss://hint-a.example.com'],
      ['q', ID, 'wss://hint-q.example.com'],
      ['r', 'wss://tag-r.example.com', 'write'],
      ['relay', 'wss://tag-relay.example.com'],
      ['x', 'wss://single.example.com'],
      ['r', R2.url],
    ]);
    const e2 = event(3, [], JSON.stringify({ 'wss://contacts.example.com': { read: true }, 'not a url': 1 }));
    const e3 = event(2, [], 'wss://recommended.example.com');
    const e4 = event(30166, [['d', 'wss://monitored.example.com/']], '', monitorKey);
    const e5 = event(1, [
      ['r', 'wss://10.0.0.1'],
      ['r', 'ws://127.0.0.1:7777'],
      ['r', `wss://${'a'.repeat(5000)}.com`],
      ['relay', 'wss://bad\u0001.example.com'],
    ]);
    await store([
      { event: e1, relay: R1, seenAt: 100 },
      { event: e2, relay: R1, seenAt: 101 },
      { event: e3, relay: R2, seenAt: 100 },
      { event: e4, relay: R2, seenAt: 100 },
      { event: e5, relay: R2, seenAt: 102 },
    ]);
    const deps = recordingDeps(db.sql, { now: () => 5000 });
    const finder = createFinder(deps, config());
    await finder.cycle(signal());
    expect(await candidates()).toEqual([
      'wss://contacts.example.com',
      'wss://hint-a.example.com',
      'wss://hint-e.example.com',
      'wss://hint-p.example.com',
      'wss://hint-q.example.com',
      'wss://monitored.example.com',
      'wss://recommended.example.com',
      'wss://single.example.com',
      'wss://tag-r.example.com',
      'wss://tag-relay.example.com',
    ]);
    expect(deps.gauges.get('relays_seen')).toBe(2);
    expect(deps.gauges.get('rows_seen')).toBe(5);
    expect(deps.gauges.get('candidates_found_from_events')).toBe(10);
    expect(await cursor(R1.url)).toEqual({ timestamp: 101, id: e2.id });
    expect(await cursor(R2.url)).toEqual({ timestamp: 102, id: e5.id });

    await finder.cycle(signal());
    expect(deps.gauges.get('rows_seen')).toBe(0);
    expect(deps.gauges.get('candidates_found_from_events')).toBe(0);

    const late = event(1, [['r', 'wss://late.example.com']]);
    await store([{ event: late, relay: R1, seenAt: 200 }]);
    await finder.cycle(signal());
    expect(deps.gauges.get('rows_seen')).toBe(1);
    expect(deps.gauges.get('candidates_found_from_events')).toBe(1);
    expect(await candidates()).toContain('wss://late.example.com');
    expect(await cursor(R1.url)).toEqual({ timestamp: 200, id: late.id });
  });

  it('pages through more rows than scan_size, ties on seen_at ordered by event id', async () => {
    const evs = Array.from({ length: 25 }, (_, i) => event(1, [['r', `wss://page${i}.example.com`]]));
    await store(evs.map((e) => ({ event: e, relay: R1, seenAt: 500 })));
    const deps = recordingDeps(db.sql);
    await createFinder(deps, config({ parallel_relays: 1 })).cycle(signal());
    expect(deps.gauges.get('rows_seen')).toBe(25);
    expect((await candidates()).length).toBe(25);
    const last = [...evs].sort((a, b) => (a.id < b.id ? -1 : 1)).at(-1);
    expect(await cursor(R1.url)).toEqual({ timestamp: 500, id: last?.id });
  });

  it('stops a relay at max_relay_time keeping the cursor of what was scanned, and resumes there', async () => {
    const evs = Array.from({ length: 25 }, (_, i) => event(1, [['r', `wss://slow${i}.example.com`]]));
    await store(evs.map((e, i) => ({ event: e, relay: R1, seenAt: 1000 + i })));
    let t = 0;
    // why: every clock read advances 600 ms, so a 1 s relay budget allows exactly one page
    const deps = { ...recordingDeps(db.sql), clockMs: () => (t += 600) };
    await createFinder(deps, config({ max_relay_time: 1 })).cycle(signal());
    expect(deps.gauges.get('rows_seen')).toBe(10);
    expect((await candidates()).length).toBe(10);
    expect(await cursor(R1.url)).toEqual({ timestamp: 1009, id: evs[9]?.id });

    const again = recordingDeps(db.sql);
    await createFinder(again, config()).cycle(signal());
    expect(again.gauges.get('rows_seen')).toBe(15);
    expect((await candidates()).length).toBe(25);
  });

  it('starts no relay once max_duration has passed', async () => {
    await store([{ event: event(1, [['r', 'wss://x.example.com']]), relay: R1, seenAt: 1 }]);
    let t = 0;
    const deps = { ...recordingDeps(db.sql), clockMs: () => (t += 2000) };
    await createFinder(deps, config({ max_duration: 1 })).cycle(signal());
    expect(deps.gauges.get('relays_seen')).toBe(0);
    expect(await cursor(R1.url)).toBeUndefined();
  });

  it('does not scan when the cycle is already aborted', async () => {
    await store([{ event: event(1, [['r', 'wss://x.example.com']]), relay: R1, seenAt: 1 }]);
    const deps = recordingDeps(db.sql);
    const ctl = new AbortController();
    ctl.abort();
    await createFinder(deps, config()).cycle(ctl.signal);
    expect(await candidates()).toEqual([]);
  });

  it('cleanup removes cursors of deleted relays and checkpoints of unconfigured sources', async () => {
    await store([{ event: event(1, []), relay: R1, seenAt: 1 }]);
    const state = (stateType: 'cursor' | 'checkpoint', stateKey: string) => ({
      serviceName: 'finder' as const,
      stateType,
      stateKey,
      stateValue: { timestamp: 1, id: ID },
    });
    await upsertServiceState(db.sql, [
      state('cursor', R1.url),
      state('cursor', 'wss://gone.example.com'),
      state('checkpoint', 'https://kept.example.com/a'),
      state('checkpoint', 'https://disabled.example.com/a'),
      state('checkpoint', 'https://removed.example.com/a'),
    ]);
    const cfg = finderConfigSchema.parse({
      api: {
        sources: [{ url: 'https://kept.example.com/a' }, { url: 'https://disabled.example.com/a', enabled: false }],
      },
    });
    const deps = recordingDeps(db.sql);
    await createFinder(deps, cfg).cleanup?.(signal());
    const keys = async (t: 'cursor' | 'checkpoint') =>
      (await getServiceState(db.sql, 'finder', t)).map((s) => s.stateKey);
    expect(await keys('cursor')).toEqual([R1.url]);
    expect(await keys('checkpoint')).toEqual(['https://disabled.example.com/a', 'https://kept.example.com/a']);
  });
});
