/**
 * The page fetcher of the window walk (docs/design/synchronizer.md, "Walking a window"): one REQ read to EOSE
 * over a real connection to the test relay; a page is bounded, proves nothing when it holds events outside its
 * filter, and is refused by a NOTICE that comes before any answer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { NostrEvent } from '../../models/event.js';
import { connectRelay } from '../../nips/nip01/connection.js';
import type { Filter } from '../../nips/nip01/filter.js';
import { generateEvents } from '../../testing/events.js';
import { type Misbehaviour, startTestRelay } from '../../testing/relay/relay.js';
import { connectionFetcher, pageBound } from './fetch.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const T0 = 1_700_000_000;
const EVENTS = generateEvents(50, { seed: 8, kinds: [1, 7], createdAt: (i) => T0 + i });

async function fetcher(misbehave: Misbehaviour = {}, idleTimeoutMs = 5_000) {
  const relay = await startTestRelay({ events: EVENTS, misbehave });
  cleanup.push(() => relay.close());
  const c = await connectRelay(relay.url, { network: 'local', allowLocal: true });
  if (!c.ok) throw new Error(c.reason);
  cleanup.push(() => c.value.close());
  const fetch = connectionFetcher(c.value, { idleTimeoutMs });
  return { relay, conn: c.value, page: (filter: Filter) => fetch(filter, AbortSignal.timeout(30_000)) };
}

/** The newest `limit` events of kind `kind` in [since, until], newest first, as the relay serves them. */
const expected = (kind: number, since: number, until: number, limit: number): string[] =>
  EVENTS.filter((e) => e.kind === kind && e.created_at >= since && e.created_at <= until)
    .sort((a, b) => b.created_at - a.created_at)
    .slice(0, limit)
    .map((e) => e.id);

const idsOf = (events: readonly NostrEvent[]) => events.map((e) => e.id);

describe('pageBound', () => {
  it('is twice the limit, and never fewer than `slack` over it', () => {
    expect(pageBound({ limit: 10 })).toBe(1_010);
    expect(pageBound({ limit: 1_000 })).toBe(2_000);
    expect(pageBound({ limit: 5_000 })).toBe(10_000);
    expect(pageBound({ limit: 10 }, 5)).toBe(20);
    expect(pageBound({ limit: 10 }, 50)).toBe(60);
  });

  it('counts the ids of a filter without a limit, and nothing when it has neither', () => {
    expect(pageBound({ ids: ['a'.repeat(64), 'b'.repeat(64), 'c'.repeat(64)] })).toBe(1_003);
    expect(pageBound({ ids: ['a'.repeat(64)] }, 0)).toBe(2);
    expect(pageBound({ kinds: [1] })).toBe(1_000);
  });
});

describe('connectionFetcher', () => {
  it("returns the page's events as the relay sent them, once it has sent EOSE", async () => {
    const { page } = await fetcher();
    const r = await page({ kinds: [1], since: T0 + 5, until: T0 + 40, limit: 7 });
    expect(r.ok).toBe(true);
    if (r.ok) expect(idsOf(r.value)).toEqual(expected(1, T0 + 5, T0 + 40, 7));
    const empty = await page({ kinds: [1], since: T0 + 100, until: T0 + 200, limit: 7 });
    expect(empty).toEqual({ ok: true, value: [] });
  });

  it('fails a page holding events outside its filter (a relay ignoring until), saying how many', async () => {
    const { page } = await fetcher({ ignoreUntil: true });
    // 50 events, 20 of them at or before T0 + 19: the relay sends all 50
    const r = await page({ until: T0 + 19, limit: 100 });
    expect(r).toEqual({ ok: false, reason: 'invalid', detail: 'the relay sent 30 events outside the filter' });
  });

  it('serves a page of up to its bound: the bound, not the limit, caps what one page may carry', async () => {
    // forged copies of the stored events, ignoring the filter: matching `limit: 10` but for the limit itself
    const { page } = await fetcher({ floodCopies: pageBound({ limit: 10 }) });
    const r = await page({ limit: 10 });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value).toHaveLength(1_010);
  });

  it('cuts a page past its bound off as too-large', async () => {
    const { page, conn } = await fetcher({ floodCopies: 5_000 });
    const r = await page({ limit: 10 });
    expect(r).toEqual({
      ok: false,
      reason: 'too-large',
      detail: 'the relay sent more than 1010 events for one subscription',
    });
    expect(conn.open).toBe(true);
  });

  it('cuts a flood off as too-large even when none of it matches the filter', async () => {
    const { page } = await fetcher({ floodCopies: 5_000 });
    const r = await page({ kinds: [30_000], limit: 10 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe('too-large');
  });

  it("reads a NOTICE before any answer as the page's refusal, long before the idle timeout", async () => {
    const idle = 20_000;
    const { page } = await fetcher({ noticeInsteadOfAnswers: true }, idle);
    const started = Date.now();
    const r = await page({ kinds: [1], limit: 10 });
    expect(r).toEqual({ ok: false, reason: 'invalid', detail: 'NOTICE: error: not answering that' });
    expect(Date.now() - started).toBeLessThan(idle / 4);
  });

  it('a NOTICE after the first event is no refusal: the page, and the next one, are served whole', async () => {
    const { page, conn } = await fetcher({ noticeAfterEvents: 'note: we are busy' });
    for (const until of [T0 + 49, T0 + 20]) {
      const r = await page({ kinds: [7], until, limit: 5 });
      expect(r.ok).toBe(true);
      if (r.ok) expect(idsOf(r.value)).toEqual(expected(7, 0, until, 5));
    }
    expect(conn.lastNotice).toBe('note: we are busy');
  });

  it("passes a CLOSED refusal through as the page's outcome", async () => {
    const { page } = await fetcher({ refuseReads: 'blocked: not on the list' });
    expect(await page({ kinds: [1], limit: 10 })).toEqual({
      ok: false,
      reason: 'refused',
      detail: 'CLOSED: blocked: not on the list',
    });
  });

  it('a relay that never sends EOSE fails the page as timeout after the idle time', async () => {
    const { page } = await fetcher({ noEose: true }, 200);
    const r = await page({ kinds: [1], limit: 10 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe('timeout');
  });

  it('a connection dropped in the middle of a page fails it as closed', async () => {
    const { page } = await fetcher({ closeAfter: 3 });
    const r = await page({ kinds: [1], limit: 10 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toBe('closed');
  });
});
