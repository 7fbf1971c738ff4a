/** Hostile inputs, relay side: each misbehaviour ends as a typed result within its timeout (docs/design/security.md). */
import { afterEach, describe, expect, it } from 'vitest';
import { hasValidSignature, type NostrEvent } from '../../models/event.js';
import { generateEvents } from '../../testing/events.js';
import { type Misbehaviour, startTestRelay, type TestRelay } from '../../testing/relay/relay.js';
import { type ConnectOpts, connectRelay, type RelayConnection } from './connection.js';
import type { Filter } from './filter.js';
import { publishEvent } from './publish.js';
import { subscribe } from './subscription.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const events = generateEvents(50, { seed: 31, createdAt: (i) => 1_700_000_000 + i });

async function misbehaving(misbehave: Misbehaviour, opts: Partial<ConnectOpts> = {}) {
  const relay: TestRelay = await startTestRelay({ events, misbehave });
  cleanup.push(() => relay.close());
  const c = await connectRelay(relay.url, { network: 'local', allowLocal: true, ...opts });
  if (!c.ok) throw new Error(`connect failed: ${c.reason}`);
  cleanup.push(() => c.value.close());
  return { relay, conn: c.value };
}

async function read(conn: RelayConnection, filters: Filter[], idleTimeoutMs = 800) {
  const started = Date.now();
  const sub = subscribe(conn, filters, { idleTimeoutMs });
  const got: NostrEvent[] = [];
  for await (const e of sub) got.push(e);
  return { got, outcome: sub.outcome, stats: sub.stats, ms: Date.now() - started };
}

describe('hostile relays', () => {
  it('garbage frames are counted and skipped; the real answer still arrives', async () => {
    const { conn } = await misbehaving({ garbage: true });
    const r = await read(conn, [{ limit: 10 }]);
    expect(r.outcome).toEqual({ ok: true, value: { eose: true } });
    expect(r.got).toHaveLength(10);
    expect(conn.stats.invalidMessages).toBeGreaterThanOrEqual(9); // every GARBAGE_FRAMES entry but none valid
  });

  it('a frame larger than the limit ends the connection as too-large', async () => {
    const { conn } = await misbehaving({ oversizedBytes: 200_000 }, { maxMessageBytes: 100_000 });
    const r = await read(conn, [{}]);
    expect(r.outcome).toMatchObject({ ok: false, reason: 'too-large' });
    expect(conn.open).toBe(false);
  });

  it('a relay that stalls (no answers, no pongs) is dropped at the ping deadline', async () => {
    const { conn } = await misbehaving({ stall: true }, { pingIntervalMs: 200 });
    const r = await read(conn, [{}], 60_000);
    expect(r.outcome).toMatchObject({ ok: false, reason: 'timeout' });
    expect(r.ms).toBeLessThan(5_000);
  });

  it('a slow drip of one byte per interval ends at the idle timeout', async () => {
    const { conn } = await misbehaving({ dripMs: 50 });
    const r = await read(conn, [{ limit: 1 }], 700);
    expect(r.outcome).toMatchObject({ ok: false, reason: 'timeout' });
    expect(r.ms).toBeLessThan(5_000);
  });

  it('events outside since/until (a relay ignoring until) are dropped and counted', async () => {
    const { conn } = await misbehaving({ ignoreUntil: true });
    const r = await read(conn, [{ until: 1_700_000_009 }]);
    expect(r.got.map((e) => e.created_at).every((t) => t <= 1_700_000_009)).toBe(true);
    expect(r.got).toHaveLength(10);
    expect(r.stats.unmatched).toBe(40);
  });

  it('more events than the limit are kept and counted', async () => {
    const { conn } = await misbehaving({ ignoreLimit: true });
    const r = await read(conn, [{ limit: 5 }]);
    expect(r.got).toHaveLength(50);
    expect(r.stats.overLimit).toBe(45);
  });

  it('until 0 and a far-future since return nothing and still end with EOSE', async () => {
    const { conn } = await misbehaving({});
    expect((await read(conn, [{ until: 0 }])).got).toHaveLength(0);
    const r = await read(conn, [{ since: 4_000_000_000 }]);
    expect(r.got).toHaveLength(0);
    expect(r.outcome).toEqual({ ok: true, value: { eose: true } });
  });

  it('events for a subscription we never opened are counted, not delivered', async () => {
    const { conn } = await misbehaving({ wrongSubId: true });
    const r = await read(conn, [{ limit: 5 }]);
    expect(r.got).toHaveLength(0);
    expect(r.outcome).toEqual({ ok: true, value: { eose: true } });
    expect(conn.stats.unknownSubscription).toBe(5);
  });

  it('events with invalid signatures reach the consumer with a failing signature check', async () => {
    const { conn } = await misbehaving({ invalidSignatures: true });
    const r = await read(conn, [{ limit: 5 }]);
    expect(r.got).toHaveLength(5);
    expect(r.got.filter(hasValidSignature)).toHaveLength(0);
  });

  it('a connection closed mid-stream ends as closed after the events received so far', async () => {
    const { conn } = await misbehaving({ closeAfter: 7 });
    const r = await read(conn, [{}]);
    expect(r.got).toHaveLength(7);
    expect(r.outcome).toMatchObject({ ok: false, reason: 'closed' });
  });

  it('a relay that never sends EOSE ends at the idle timeout with what it sent', async () => {
    const { conn } = await misbehaving({ noEose: true });
    const r = await read(conn, [{ limit: 3 }], 500);
    expect(r.got).toHaveLength(3);
    expect(r.outcome).toMatchObject({ ok: false, reason: 'timeout' });
  });

  it('NOTICE instead of answers: counted, and the request times out', async () => {
    const { conn } = await misbehaving({ noticeInsteadOfAnswers: true });
    const r = await read(conn, [{}], 500);
    expect(r.outcome).toMatchObject({ ok: false, reason: 'timeout' });
    expect(conn.stats.notices).toBe(1);
    expect(conn.lastNotice).toMatch(/^error:/);
  });

  it('rate limiting is reported as rate-limited for reads and writes', async () => {
    const { conn } = await misbehaving({ rateLimited: true });
    expect((await read(conn, [{}])).outcome).toMatchObject({ ok: false, reason: 'rate-limited' });
    const [e] = generateEvents(1, { seed: 99 }) as [NostrEvent];
    expect(await publishEvent(conn, e)).toMatchObject({ ok: true, value: { accepted: false, prefix: 'rate-limited' } });
  });

  it('an abort signal ends a subscription at once as timeout', async () => {
    const { conn } = await misbehaving({ noEose: true });
    const controller = new AbortController();
    const sub = subscribe(conn, [{}], { signal: controller.signal, idleTimeoutMs: 60_000 });
    setTimeout(() => controller.abort(), 100);
    let n = 0;
    for await (const _ of sub) n += 1;
    expect(n).toBe(50);
    expect(sub.outcome).toMatchObject({ ok: false, reason: 'timeout' });
  });
});
