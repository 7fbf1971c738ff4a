/**
 * The negentropy walk against a real NIP-77 test relay: windows too large to keep in memory are halved before
 * they are fetched, and every event still arrives exactly once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { NostrEvent } from '../../models/event.js';
import { connectRelay } from '../../nips/nip01/connection.js';
import { generateEvents } from '../../testing/events.js';
import { startTestRelay } from '../../testing/relay/relay.js';
import { connectionFetcher } from './fetch.js';
import { fetchIds, negentropyWalk } from './negentropy.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const START = 1_700_000_000;

async function walk(history: NostrEvent[], heldFromRelay: NostrEvent[], bounds: { maxHeld: number; maxNeed: number }) {
  const relay = await startTestRelay({ events: history, info: { supported_nips: [1, 77] } });
  cleanup.push(() => relay.close());
  const c = await connectRelay(relay.url, { network: 'local', allowLocal: true });
  if (!c.ok) throw new Error(c.reason);
  cleanup.push(() => c.value.close());
  const got: string[] = [];
  const heldSizes: number[] = [];
  const report = await negentropyWalk(
    c.value,
    connectionFetcher(c.value, { idleTimeoutMs: 5_000 }),
    {},
    {
      since: START,
      until: START + 86_399,
      held: async (s, u) => {
        const items = heldFromRelay
          .filter((e) => e.created_at >= s && e.created_at <= u)
          .sort((a, b) => a.created_at - b.created_at);
        heldSizes.push(items.length);
        return {
          timestamps: items.map((e) => e.created_at),
          ids: Buffer.concat(items.map((e) => Buffer.from(e.id, 'hex'))),
        };
      },
      emit: async (events) => void got.push(...events.map((e) => e.id)),
      windowDone: () => {},
      signal: AbortSignal.timeout(60_000),
      ...bounds,
    },
  );
  return { got, heldSizes, report };
}

describe('negentropy walk', () => {
  it('reconciles a window that holds more than maxHeld items in parts, asking the database once', async () => {
    // 3,000 events in the first hours of one day; we hold 2,400 of them
    const history = generateEvents(3_000, { seed: 31, createdAt: (i) => START + i * 5 });
    const held = history.filter((_, i) => i % 5 !== 0);
    const { got, heldSizes, report } = await walk(history, held, { maxHeld: 500, maxNeed: 20_000 });
    expect(report.failure).toBeUndefined();
    expect(report.reachedUntil).toBe(START + 86_399);
    expect(heldSizes).toEqual([2_400]);
    // five parts of at most 500 held items
    expect(report.narrowed).toBe(4);
    expect(report.windows).toBe(5);
    expect(report.skipped).toBe(2_400);
    expect(got.sort()).toEqual(
      history
        .filter((_, i) => i % 5 === 0)
        .map((e) => e.id)
        .sort(),
    );
  });

  it('takes a second that holds more than maxHeld items whole', async () => {
    const history = generateEvents(800, { seed: 33, createdAt: () => START + 50 });
    const { got, report } = await walk(history, history.slice(100), { maxHeld: 500, maxNeed: 20_000 });
    expect(report.failure).toBeUndefined();
    expect(report.narrowed).toBeGreaterThan(0);
    expect(report.windows).toBeGreaterThanOrEqual(2);
    expect(report.skipped).toBe(700);
    expect(got.sort()).toEqual(
      history
        .slice(0, 100)
        .map((e) => e.id)
        .sort(),
    );
  });

  it('halves a window that lacks more than maxNeed ids, down to a second if it must', async () => {
    // we hold one event of the day; the relay has 2,000 more, 40 of them in one second
    const history = generateEvents(2_000, { seed: 32, createdAt: (i) => (i < 40 ? START + 7 : START + i * 30) });
    const { got, report } = await walk(history, history.slice(-1), { maxHeld: 5_000, maxNeed: 25 });
    expect(report.failure).toBeUndefined();
    expect(report.narrowed).toBeGreaterThan(0);
    // a one-second window is fetched whatever it lacks; nothing is lost or fetched twice
    expect(got).toHaveLength(1_999);
    expect(new Set(got)).toEqual(new Set(history.slice(0, -1).map((e) => e.id)));
  });
});

describe('fetchIds', () => {
  const history = generateEvents(450, { seed: 81, createdAt: (i) => START + i });
  async function fetchFrom(maxLimit: number, ids: string[]) {
    const relay = await startTestRelay({ events: history, info: { limitation: { max_limit: maxLimit } } });
    cleanup.push(() => relay.close());
    const c = await connectRelay(relay.url, { network: 'local', allowLocal: true });
    if (!c.ok) throw new Error(c.reason);
    cleanup.push(() => c.value.close());
    const got = new Set<string>();
    const r = await fetchIds(
      connectionFetcher(c.value, { idleTimeoutMs: 5_000 }),
      ids,
      async (events) => {
        for (const e of events) got.add(e.id);
      },
      new AbortController().signal,
    );
    if (!r.ok) throw new Error(r.reason);
    return { got, ...r.value };
  }

  it('a relay that caps answers below the batch is not taken for one that withholds', async () => {
    const { got, unserved } = await fetchFrom(
      70,
      history.map((e) => e.id),
    );
    expect(got.size).toBe(450);
    expect(unserved).toBe(0);
  });

  it('ids the relay listed but does not serve are counted as unserved, each asked twice, never waited for', async () => {
    const unknown = Array.from({ length: 230 }, (_, i) => i.toString(16).padStart(64, '0'));
    const ids = [...unknown.slice(0, 30), ...history.slice(0, 300).map((e) => e.id), ...unknown.slice(30)];
    const { got, unserved, requests } = await fetchFrom(500, ids);
    expect(got.size).toBe(300);
    expect(unserved).toBe(230);
    expect(requests).toBeLessThanOrEqual(6);
  });
});
