/**
 * Completeness against strfry in its shipped default configuration — max_limit 500, kinds 4 and 1059 restricted
 * to authenticated readers, the AUTH challenge only on demand, every CLOSED reason behind `ERROR: `, NIP-77 on —
 * twice: the test relay's strfry profile (every run) and the real strfry binary (when BIGBROTR_STRFRY names it;
 * always in CI, where a missing binary fails the file).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getServiceState } from '../../core/db/store.js';
import type { NostrEvent } from '../../models/event.js';
import { createSigner } from '../../nips/signer.js';
import { generateEvents, testSecretKey } from '../../testing/events.js';
import { startTestRelay } from '../../testing/relay/relay.js';
import { strfryBatchOrder } from '../../testing/relay/strfry-profile.js';
import { startStrfry, strfryBinary } from '../../testing/strfry.js';
import { useSyncHarness } from '../../testing/vitest/sync-harness.js';
import { synchronizerConfigSchema } from './config.js';
import type { SyncStatus } from './relay-state.js';

const binary = strfryBinary();
const h = useSyncHarness();
const NOW = Math.floor(Date.now() / 1000);
const DAY = 86_400;
// regular kinds only: strfry keeps one replaceable or addressable event per key, and kind 5 deletes
const KINDS = [1, 6, 7, 16, 42, ...Array.from({ length: 15 }, (_, i) => 1000 + i)];

const config = (over: Record<string, unknown> = {}) =>
  synchronizerConfigSchema.parse({
    networks: { clearnet: { enabled: false }, local: { enabled: true, timeout: 10 } },
    processing: { limit: 500, end_lag: 0, batch_size: 1000, since: NOW - 61 * DAY, ...over },
    timeouts: { idle: 20 },
  });

const stored = h.stored;
const status = async (url: string) => (await h.state(url, 'sync_status')) as unknown as SyncStatus;
const cycle = (url: string, over: Record<string, unknown> = {}, signerSeed?: number) =>
  h.cycle(url, config(over), signerSeed === undefined ? {} : { signer: createSigner(testSecretKey(signerSeed, 0)) });

/** A relay holding `events`, that can be given more later. */
interface Peer extends AsyncDisposable {
  readonly url: string;
  add(events: readonly NostrEvent[]): Promise<void>;
}

type StartPeer = (events: readonly NostrEvent[], acceptAuth?: boolean) => Promise<Peer>;

const realStrfry: StartPeer = async (events, acceptAuth = false) => {
  const relay = await startStrfry({ binary, acceptAuth });
  // one import: strfry orders the events of a second by the batch they were stored in
  const added = events.length > 0 ? (await relay.importEvents(events)).added : 0;
  expect(added).toBe(events.length);
  return {
    url: relay.url,
    add: async (more) => void (await relay.importEvents(more)),
    [Symbol.asyncDispose]: () => relay.stop(),
  };
};

const strfryProfile: StartPeer = async (events, acceptAuth = false) => {
  const relay = await startTestRelay({ events, strfry: { acceptAuth } });
  return {
    url: relay.url,
    add: async (more) => {
      for (const e of strfryBatchOrder(more)) relay.store.add(e);
    },
    [Symbol.asyncDispose]: () => relay.close(),
  };
};

// outside CI without the binary only the profile runs (under CI=true strfryBinary() throws instead)
const peers: [string, StartPeer][] = [
  ['the strfry profile', strfryProfile],
  ...(binary ? [['the real strfry', realStrfry] as [string, StartPeer]] : []),
];

describe.each(peers)('synchronizer against %s (default config)', (_name, start) => {
  // 20,000 readable events over 60 days with 1,000 kind-4 events among them (they make pages come back short),
  // 3,000 in one second over 20 kinds, 2,000 of one kind in another single second
  const spread = generateEvents(20_000, {
    seed: 31,
    pubkeys: 50,
    kinds: KINDS,
    createdAt: (i) => NOW - 60 * DAY + i * 259,
  });
  const dms = generateEvents(1_000, { seed: 32, kinds: [4], createdAt: (i) => NOW - 60 * DAY + 17 + i * 5_183 });
  const wide = generateEvents(3_000, { seed: 33, pubkeys: 30, kinds: KINDS, createdAt: () => NOW - 10 * DAY });
  const deep = generateEvents(2_000, { seed: 34, pubkeys: 30, kinds: [1], createdAt: () => NOW - 20 * DAY });
  const readable = [...spread, ...wide, ...deep];
  let relay: Peer;
  beforeAll(async () => {
    relay = await start([...readable, ...dms]);
  }, 300_000);
  afterAll(async () => {
    await relay?.[Symbol.asyncDispose]();
  });

  it('stores 100 % of the 25,000 readable events in the first pass with NIP-77, and reports the withheld DMs', async () => {
    const deps = await cycle(relay.url);
    expect(await stored(relay.url)).toEqual(new Set(readable.map((e) => e.id)));
    expect(deps.counters.get('events_inserted')).toBe(25_000);
    // no window walked twice: nothing came in twice
    expect(deps.counters.get('events_duplicate') ?? 0).toBe(0);
    const s = await status(relay.url);
    expect(s).toMatchObject({ complete: true, reason: null, withheld: { '4': null, '1059': null }, gaps: [] });
    // the reconciliation listed the 1,000 DMs, and strfry served none of them to a reader who cannot authenticate
    expect(s.unserved).toBe(1_000);
    expect(deps.logs.some((l) => l.level === 'warn' && l.message === 'relay_withheld')).toBe(true);
  }, 600_000);

  it('without NIP-77: everything a REQ walk can list, the single-kind burst reported incomplete', async () => {
    const deps = await cycle(relay.url, { negentropy: false });
    const got = await stored(relay.url);
    for (const e of [...spread, ...wide]) expect(got.has(e.id)).toBe(true);
    expect(deep.filter((e) => got.has(e.id))).toHaveLength(500);
    expect(got.size).toBe(23_500);
    const s = await status(relay.url);
    expect(s).toMatchObject({
      complete: false,
      reason: 'unlistable-second',
      gaps: [{ second: NOW - 20 * DAY, kinds: [1], seen: 500 }],
      withheld: { '4': null, '1059': null },
    });
    expect(deps.logs.some((l) => l.level === 'warn' && l.message === 'relay_incomplete')).toBe(true);
    expect(deps.counters.get('windows_possibly_incomplete')).toBe(1);
  }, 600_000);
});

describe.each(peers)('late events and AUTH on %s', (_name, start) => {
  it.each([
    ['NIP-77 reconciliation', {}],
    ['a REQ walk', { negentropy: false }],
  ])(
    'archives 1,000 events that arrive after the cursor passed their created_at, by %s',
    async (_how, over) => {
      const history = generateEvents(2_000, { seed: 41, kinds: [1], createdAt: (i) => NOW - 2 * DAY + i * 80 });
      await using relay = await start(history);
      await cycle(relay.url, over);
      const [cursor] = await getServiceState(h.db.sql, 'synchronizer', 'cursor', relay.url);
      const at = Number(cursor?.stateValue.timestamp);
      expect(at).toBeGreaterThanOrEqual(NOW);
      // backdated, delayed, rebroadcast: created_at before the cursor, within the default re-check spans
      const late = generateEvents(1_000, { seed: 42, kinds: [1, 7], createdAt: (i) => at - 3_000 + i * 3 });
      await relay.add(late);
      // the next cycle: a relay is due once the clock has passed its cursor
      while (Math.floor(Date.now() / 1000) <= at) await new Promise((r) => setTimeout(r, 100));
      const deps = await cycle(relay.url, over);
      const got = await stored(relay.url);
      expect(late.filter((e) => !got.has(e.id))).toHaveLength(0);
      expect(got.size).toBe(3_000);
      expect((await status(relay.url)).late).toBe(1_000);
      expect(deps.counters.get('events_late')).toBe(1_000);
    },
    300_000,
  );

  it('stores the DMs strfry serves once AUTH succeeds (those that involve the reader) and reports the rest', async () => {
    const key = createSigner(testSecretKey(77, 0));
    const notes = generateEvents(600, { seed: 51, kinds: [1], createdAt: (i) => NOW - DAY + i * 60 });
    const mine = generateEvents(50, {
      seed: 52,
      kinds: [4],
      tags: () => [['p', key.pubkey]],
      createdAt: (i) => NOW - DAY + 7 + i * 600,
    });
    const others = generateEvents(200, { seed: 53, kinds: [4], createdAt: (i) => NOW - DAY + 11 + i * 150 });
    await using relay = await start([...notes, ...mine, ...others], true);
    await cycle(relay.url, {}, 77);
    const got = await stored(relay.url);
    expect(new Set([...got])).toEqual(new Set([...notes, ...mine].map((e) => e.id)));
    const s = await status(relay.url);
    expect(s.complete).toBe(true);
    expect(s.unserved).toBe(200);
  }, 300_000);
});
