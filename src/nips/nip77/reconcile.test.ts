import { nip77 } from 'nostr-tools';
import { afterEach, describe, expect, it } from 'vitest';
import { generateEvents } from '../../testing/events.js';
import { startTestRelay, type TestRelayOpts } from '../../testing/relay/relay.js';
import { connectRelay } from '../nip01/connection.js';
import { negentropyStorage, negentropyStorageOf, reconcileWithRelay } from './reconcile.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function connectTo(opts: TestRelayOpts) {
  const relay = await startTestRelay(opts);
  cleanup.push(() => relay.close());
  const c = await connectRelay(relay.url, { network: 'local', allowLocal: true });
  if (!c.ok) throw new Error(c.reason);
  cleanup.push(() => c.value.close());
  return c.value;
}

// 3,000 events, a third of them in the same second (the case `limit` paging cannot split).
const pool = generateEvents(3_100, {
  seed: 41,
  kinds: [1, 7],
  createdAt: (i) => (i % 3 === 0 ? 1_700_000_000 : 1_700_000_000 + i),
});
const onRelay = pool.slice(0, 3_000);
const item = (e: (typeof pool)[number]) => ({ timestamp: e.created_at, id: e.id });

describe('NIP-77 against the test relay', () => {
  it('finds exactly what each side is missing, through several rounds', async () => {
    const conn = await connectTo({ events: onRelay });
    const ours = [...pool.slice(1_000, 3_000), ...pool.slice(3_000)]; // lacks 1,000 of the relay's, has 100 it lacks
    const r = await reconcileWithRelay(conn, {}, ours.map(item));
    if (!r.ok) throw new Error(`${r.reason}: ${r.detail}`);
    expect(new Set(r.value.need)).toEqual(new Set(onRelay.slice(0, 1_000).map((e) => e.id)));
    expect(new Set(r.value.have)).toEqual(new Set(pool.slice(3_000).map((e) => e.id)));
    expect(r.value.need).toHaveLength(1_000);
    expect(r.value.rounds).toBeGreaterThanOrEqual(1);
  });

  it('reconciles only the events matching the filter', async () => {
    const conn = await connectTo({ events: onRelay });
    const r = await reconcileWithRelay(conn, { kinds: [7] }, []);
    if (!r.ok) throw new Error(r.reason);
    expect(new Set(r.value.need)).toEqual(new Set(onRelay.filter((e) => e.kind === 7).map((e) => e.id)));
  });

  it('a relay without NIP-77 ends in a timeout; one that needs AUTH in auth-required', async () => {
    const plain = await connectTo({ events: onRelay, info: { supported_nips: [1, 11] } });
    expect(await reconcileWithRelay(plain, {}, [], { timeoutMs: 400 })).toMatchObject({ ok: false, reason: 'timeout' });
    expect(plain.lastNotice).toMatch(/NEG-OPEN/);
    const guarded = await connectTo({ events: onRelay, authRequired: { read: true } });
    expect(await reconcileWithRelay(guarded, {}, [])).toMatchObject({ ok: false, reason: 'auth-required' });
  });
});

describe('negentropy storage from ids end to end', () => {
  it('fingerprints a slice of a shared id buffer exactly as the same items inserted one by one', () => {
    const events = pool.slice(0, 500);
    const ids = Buffer.concat(events.map((e) => Buffer.from(e.id, 'hex')));
    const timestamps = events.map((e) => e.created_at);
    const message = (storage: ReturnType<typeof negentropyStorage>) => new nip77.Negentropy(storage, 60_000).initiate();
    // a slice that starts inside the buffer: an id viewing it in place would be read from its start
    expect(message(negentropyStorageOf(timestamps, ids, 100, 400))).toBe(
      message(negentropyStorage(events.slice(100, 400).map(item))),
    );
  });
});
