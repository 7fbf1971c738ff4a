import { afterEach, describe, expect, it } from 'vitest';
import type { NostrEvent } from '../../models/event.js';
import { generateEvents, testSecretKey } from '../../testing/events.js';
import { startTestRelay, type TestRelay, type TestRelayOpts } from '../../testing/relay/relay.js';
import { countEvents } from '../nip45.js';
import { createSigner } from '../signer.js';
import { type ConnectOpts, connectRelay, type RelayConnection } from './connection.js';
import type { Filter } from './filter.js';
import { publishEvent, publishTemplate } from './publish.js';
import { subscribe } from './subscription.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function relay(opts: TestRelayOpts = {}): Promise<TestRelay> {
  const r = await startTestRelay(opts);
  cleanup.push(() => r.close());
  return r;
}

async function connect(r: TestRelay, opts: Partial<ConnectOpts> = {}): Promise<RelayConnection> {
  const c = await connectRelay(r.url, { network: 'local', allowLocal: true, ...opts });
  if (!c.ok) throw new Error(`connect failed: ${c.reason} ${c.detail}`);
  cleanup.push(() => c.value.close());
  return c.value;
}

async function collect(conn: RelayConnection, filters: Filter[], opts = {}) {
  const sub = subscribe(conn, filters, { idleTimeoutMs: 2000, ...opts });
  const events: NostrEvent[] = [];
  for await (const e of sub) events.push(e);
  return { events, outcome: sub.outcome, stats: sub.stats };
}

const signer = createSigner(testSecretKey(7, 0));
const events = generateEvents(200, { kinds: [1, 7], createdAt: (i) => 1_700_000_000 + Math.floor(i / 2) });

describe('NIP-01 against the test relay', () => {
  it('returns the newest events first, limit honoured, since/until inclusive, then EOSE', async () => {
    const conn = await connect(await relay({ events }));
    const { events: got, outcome } = await collect(conn, [
      { kinds: [1], since: 1_700_000_010, until: 1_700_000_020, limit: 5 },
    ]);
    expect(outcome).toEqual({ ok: true, value: { eose: true } });
    const expected = events
      .filter((e) => e.kind === 1 && e.created_at >= 1_700_000_010 && e.created_at <= 1_700_000_020)
      .sort((a, b) => b.created_at - a.created_at || a.id.localeCompare(b.id))
      .slice(0, 5);
    expect(got.map((e) => e.id)).toEqual(expected.map((e) => e.id));
    const edges = await collect(conn, [{ since: 1_700_000_099, until: 1_700_000_099 }]);
    expect(edges.events.map((e) => e.created_at)).toEqual([1_700_000_099, 1_700_000_099]);
  });

  it('enforces the NIP-11 max_limit whatever limit is asked', async () => {
    const conn = await connect(
      await relay({ events, info: { supported_nips: [1, 11], limitation: { max_limit: 17 } } }),
    );
    expect((await collect(conn, [{ limit: 1000 }])).events).toHaveLength(17);
    expect((await collect(conn, [{}])).events).toHaveLength(17);
    const withDefault = await connect(
      await relay({ events, info: { limitation: { max_limit: 50, default_limit: 8 } } }),
    );
    expect((await collect(withDefault, [{}])).events).toHaveLength(8);
    expect((await collect(withDefault, [{ limit: 30 }])).events).toHaveLength(30);
  });

  it('publishes with OK answers and machine-readable prefixes', async () => {
    const r = await relay();
    const conn = await connect(r);
    const [e] = generateEvents(1, { seed: 3 }) as [NostrEvent];
    expect(await publishEvent(conn, e)).toMatchObject({ ok: true, value: { accepted: true, prefix: undefined } });
    expect(await publishEvent(conn, e)).toMatchObject({ ok: true, value: { accepted: true, prefix: 'duplicate' } });
    const forged = { ...e, content: 'tampered' };
    expect(await publishEvent(conn, forged)).toMatchObject({ ok: true, value: { accepted: false, prefix: 'invalid' } });
    expect(r.store.size).toBe(1);
  });

  it('keeps only the latest replaceable and addressable versions, never stores ephemeral events', async () => {
    const r = await relay();
    const conn = await connect(r);
    const at = (created_at: number, kind: number, tags: string[][] = []) =>
      signer.sign({ kind, created_at, tags, content: `${kind}@${created_at}` });
    for (const e of [
      at(10, 0),
      at(20, 0),
      at(15, 0),
      at(5, 30000, [['d', 'a']]),
      at(6, 30000, [['d', 'a']]),
      at(1, 30000, [['d', 'b']]),
      at(9, 20001),
    ]) {
      expect((await publishEvent(conn, e)).ok).toBe(true);
    }
    expect(r.store.all().map((e) => `${e.kind}@${e.created_at}`)).toEqual(['0@20', '30000@6', '30000@1']);
  });

  it('delivers live events to an open subscription after EOSE', async () => {
    const r = await relay();
    const reader = await connect(r);
    const writer = await connect(r);
    const sub = subscribe(reader, [{ kinds: [1] }], { closeOnEose: false, idleTimeoutMs: 0 });
    const [e] = generateEvents(1, { seed: 9 }) as [NostrEvent];
    setTimeout(() => void publishEvent(writer, e), 100);
    for await (const got of sub) {
      expect(got.id).toBe(e.id);
      sub.close();
    }
    expect(sub.outcome).toEqual({ ok: true, value: { eose: false } });
  });

  it('answers NIP-45 COUNT', async () => {
    const conn = await connect(await relay({ events }));
    expect(await countEvents(conn, [{ kinds: [7] }])).toEqual({ ok: true, value: { count: 100, approximate: false } });
  });

  it('authenticates with NIP-42 when the relay requires it, and reports auth-required without a key', async () => {
    const r = await relay({ events, authRequired: { read: true, write: true } });
    const anonymous = await connect(r);
    expect((await collect(anonymous, [{ limit: 3 }])).outcome).toMatchObject({ ok: false, reason: 'auth-required' });
    expect(await countEvents(anonymous, [{}])).toMatchObject({ ok: false, reason: 'auth-required' });
    const authed = await connect(r, { signer });
    const read = await collect(authed, [{ limit: 3 }]);
    expect(read.outcome).toEqual({ ok: true, value: { eose: true } });
    expect(read.events).toHaveLength(3);
    const [e] = generateEvents(1, { seed: 11 }) as [NostrEvent];
    expect(await publishEvent(authed, e)).toMatchObject({ ok: true, value: { accepted: true } });
  });

  it('mines NIP-13 proof of work when the relay demands it', async () => {
    const r = await relay({ info: { supported_nips: [1, 13], limitation: { min_pow_difficulty: 8 } } });
    const conn = await connect(r);
    const template = { kind: 1, created_at: 1_700_000_000, tags: [], content: 'pow please' };
    const refused = await publishTemplate(conn, template, { signer, maxPow: 4 });
    expect(refused).toMatchObject({ ok: true, value: { accepted: false, prefix: 'pow' } });
    const mined = await publishTemplate(conn, template, { signer, maxPow: 12 });
    expect(mined).toMatchObject({ ok: true, value: { accepted: true } });
    expect(mined.ok && mined.value.event.tags.find((t) => t[0] === 'nonce')?.[2]).toBe('8');
  });

  it('slows the socket for a slow consumer instead of buffering everything', async () => {
    const many = generateEvents(20_000, { seed: 5, contentSize: 200 });
    const conn = await connect(await relay({ events: many, info: { limitation: { max_limit: 100_000 } } }));
    const sub = subscribe(conn, [{}], { highWaterMark: 200, idleTimeoutMs: 5000 });
    const iterator = sub[Symbol.asyncIterator]();
    await iterator.next();
    await new Promise((r) => setTimeout(r, 500)); // the consumer stalls; the relay has sent everything by now
    // paused at 200 queued; at most what the socket had already read (64 KiB ≈ 200 events) comes on top
    expect(sub.buffered).toBeLessThan(1_000);
    let n = 1;
    while (!(await iterator.next()).done) n += 1;
    expect(n).toBe(20_000);
    expect(sub.outcome).toEqual({ ok: true, value: { eose: true } });
  });
});
