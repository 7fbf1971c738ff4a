/**
 * Completeness against a second third-party relay implementation: CodyTseng's nostr-relay library (npm
 * `@nostr-relay/core` 0.0.40 with its SQLite repository and validator, wired as its README shows), in process on
 * a loopback port. What it does (docs/relays.md, "Third-party relays in the tests"): `limit` capped at 1,000
 * (default 100) per filter, newest first with no order inside a second, no NIP-11, no NIP-77 (NEG-OPEN fails
 * validation: a NOTICE), and its validator refuses any filter naming more than 20 kinds with a NOTICE, not a
 * CLOSED.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEvents } from '../../testing/events.js';
import { type LibRelay, startLibRelay } from '../../testing/vitest/nostr-relay-lib.js';
import { useSyncHarness } from '../../testing/vitest/sync-harness.js';
import { synchronizerConfigSchema } from './config.js';
import type { SyncStatus } from './relay-state.js';

const h = useSyncHarness();
const { stored, state } = h;
const NOW = Math.floor(Date.now() / 1000);
const DAY = 86_400;
// regular kinds only (the library keeps one replaceable or addressable event per key, and kind 5 deletes)
const KINDS = [1, 6, 7, 16, 42, ...Array.from({ length: 10 }, (_, i) => 1000 + i)];

const config = (over: Record<string, unknown> = {}) =>
  synchronizerConfigSchema.parse({
    networks: { clearnet: { enabled: false }, local: { enabled: true, timeout: 5 } },
    processing: { limit: 500, end_lag: 0, batch_size: 1000, since: NOW - 31 * DAY, ...over },
    timeouts: { idle: 5 },
  });

const cycle = (url: string, over: Record<string, unknown> = {}) => h.cycle(url, config(over));

describe('synchronizer against the nostr-relay library (@nostr-relay/core, SQLite repository)', () => {
  // 3,000 events over 30 days; 1,500 in one second over 15 kinds (past the library's cap of 1,000); 1,200 of
  // kind 1 in another single second (past both our limit and its cap)
  const spread = generateEvents(3_000, {
    seed: 61,
    pubkeys: 20,
    kinds: KINDS,
    createdAt: (i) => NOW - 30 * DAY + i * 863,
  });
  const WIDE = NOW - 10 * DAY;
  const DEEP = NOW - 20 * DAY;
  const wide = generateEvents(1_500, { seed: 62, pubkeys: 20, kinds: KINDS, createdAt: () => WIDE });
  const deep = generateEvents(1_200, { seed: 63, pubkeys: 20, kinds: [1], createdAt: () => DEEP });
  let relay: LibRelay;
  beforeAll(async () => {
    relay = await startLibRelay();
    expect(await relay.load([...spread, ...wide, ...deep])).toBe(5_700);
  }, 120_000);
  afterAll(async () => {
    await relay?.stop();
  });

  it.each([
    ['with NIP-77 asked for (the relay has none)', {}],
    ['with NIP-77 off', { negentropy: false }],
  ])(
    '%s: everything a REQ walk can list, the single-kind burst reported incomplete',
    async (_how, over) => {
      const deps = await cycle(relay.url, over);
      const got = await stored(relay.url);
      expect([...spread, ...wide].filter((e) => !got.has(e.id))).toHaveLength(0);
      expect(deep.filter((e) => got.has(e.id))).toHaveLength(500);
      expect(got.size).toBe(5_000);
      const s = (await state(relay.url, 'sync_status')) as unknown as SyncStatus;
      expect(s).toMatchObject({ complete: false, reason: 'unlistable-second', withheld: {} });
      // the relay refuses filters of more than 20 kinds (with a NOTICE): each dense second is listed by the kinds
      // its first page showed, and the other kinds of that second are reported, since nothing proves them absent;
      // the kind-1 burst past the limit is reported as the second no REQ can list
      const second = (gap: { second: number }) => gap.second;
      expect(s.gaps.map(second).sort()).toEqual([WIDE, DEEP, DEEP].sort());
      expect(s.gaps).toContainEqual({ second: DEEP, kinds: [1], seen: 500 });
      for (const gap of s.gaps.filter((g) => g.kinds_range)) {
        expect(gap).toMatchObject({ kinds: [0, 65_535], seen: 0 });
        expect(gap.detail).toMatch(/refused \d+ kinds in one filter/);
      }
      expect(deps.counters.get('windows_possibly_incomplete')).toBe(3);
      expect(deps.logs.some((l) => l.level === 'warn' && l.message === 'relay_incomplete')).toBe(true);
      if (!('negentropy' in over)) expect((await state(relay.url, 'checkpoint'))?.nip77).toBe(false);
    },
    120_000,
  );
});

describe('the nostr-relay library where every second fits in a page', () => {
  it('stores 100 % of 3,400 events, a dense second of 400 over 15 kinds among them, and completes', async () => {
    await using relay = await startLibRelay();
    const spread = generateEvents(3_000, {
      seed: 71,
      pubkeys: 20,
      kinds: KINDS,
      createdAt: (i) => NOW - 30 * DAY + i * 863,
    });
    const dense = generateEvents(400, { seed: 72, pubkeys: 20, kinds: KINDS, createdAt: () => NOW - 5 * DAY });
    expect(await relay.load([...spread, ...dense])).toBe(3_400);
    const deps = await cycle(relay.url);
    expect(await stored(relay.url)).toEqual(new Set([...spread, ...dense].map((e) => e.id)));
    expect(deps.counters.get('events_duplicate') ?? 0).toBe(0);
    expect(await state(relay.url, 'sync_status')).toMatchObject({
      complete: true,
      reason: null,
      gaps: [],
      withheld: {},
    });
    expect((await state(relay.url, 'checkpoint'))?.nip77).toBe(false);
  }, 120_000);

  it('with NIP-42 on: kind 4 refused (CLOSED restricted:) and left out of pages after the limit; the rest complete', async () => {
    // the library then answers a filter naming kind 4 with CLOSED `restricted: ...` and an AUTH challenge, and
    // drops DMs not to or from the reader from every other page after SQLite applied the limit (short pages)
    await using relay = await startLibRelay({ hostname: 'relay.invalid' });
    const notes = generateEvents(2_000, {
      seed: 73,
      pubkeys: 20,
      kinds: KINDS,
      createdAt: (i) => NOW - 20 * DAY + i * 853,
    });
    const dms = generateEvents(600, { seed: 74, kinds: [4], createdAt: (i) => NOW - 20 * DAY + 7 + i * 2_843 });
    expect(await relay.load([...notes, ...dms])).toBe(2_600);
    const deps = await cycle(relay.url);
    expect(await stored(relay.url)).toEqual(new Set(notes.map((e) => e.id)));
    expect(await state(relay.url, 'sync_status')).toMatchObject({
      complete: true,
      reason: null,
      withheld: { '4': null },
    });
    expect(deps.logs.some((l) => l.level === 'warn' && l.message === 'relay_withheld')).toBe(true);
  }, 120_000);
});
