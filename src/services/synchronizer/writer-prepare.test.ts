/**
 * The prepare step alone (docs/design/write-path.md): what a batch of copies becomes (event rows, sighting rows,
 * recorded, refused) against a real database and the real verifier pool. The only wrapper is around the pool's
 * `verifySignatures`, to see which copies reached a Schnorr check.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { insertEventRelays, insertEvents, insertRelays } from '../../core/db/store.js';
import type { NostrEvent } from '../../models/event.js';
import { BAD_SIGNATURE, createVerifiedPairs, ID_MISMATCH, type VerifiedPairs } from '../../models/event-proof.js';
import type { Relay, RelayUrl } from '../../models/relay.js';
import { generateEvents, signEvent, testSecretKey } from '../../testing/events.js';
import { useTestDatabase } from '../../testing/vitest/db.js';
import { useVerifierPool } from '../../testing/vitest/verifier-pool.js';
import { EPHEMERAL_SKIPPED, type PrepareDeps, prepareBatch, type Sighting } from './writer-prepare.js';

const db = useTestDatabase('bigbrotr');
const pool = useVerifierPool();

const relay = (name: string): Relay => ({ url: `ws://${name}.test` as RelayUrl, network: 'local', discoveredAt: 1 });
const honest = relay('honest');
const forger = relay('forger');
const other = relay('other');
const NOW = 1_700_000_123;

beforeEach(async () => {
  await db.sql`DELETE FROM relay`;
  await db.sql`DELETE FROM event`;
  await insertRelays(db.sql, [honest, forger, other]);
});

/** The ids each Schnorr check was asked about, batch by batch, and the deps of one prepare. */
function setup(over: Partial<PrepareDeps> = {}): { checked: string[][]; deps: PrepareDeps } {
  const checked: string[][] = [];
  const deps: PrepareDeps = {
    sql: db.sql,
    verify: (events) => {
      checked.push(events.map((e) => e.id));
      return pool().verifySignatures(events);
    },
    verified: createVerifiedPairs(1_000),
    keepEphemeral: false,
    now: () => NOW,
    ...over,
  };
  return { checked, deps };
}

const from = (r: Relay, events: readonly NostrEvent[]): Sighting[] => events.map((event) => ({ event, relay: r }));
const forge = (e: NostrEvent): NostrEvent => ({ ...e, content: `${e.content} (altered)` });
const badSig = (e: NostrEvent): NostrEvent => ({
  ...e,
  sig: `${e.sig.slice(0, 127)}${e.sig[127] === '0' ? '1' : '0'}`,
});
const rowCount = async (): Promise<number> => {
  const [row] = await db.sql`SELECT (SELECT count(*) FROM event) + (SELECT count(*) FROM event_relay) AS n`;
  return Number(row?.n);
};

describe('prepareBatch: new events', () => {
  it('new valid events become event rows seen at now(), each pair checked once, nothing written', async () => {
    const events = generateEvents(5, { seed: 61 });
    const { checked, deps } = setup();
    const out = await prepareBatch([...from(honest, events), ...from(other, events)], deps);
    expect(out.eventRows).toEqual(
      [...from(honest, events), ...from(other, events)].map((s) => ({ ...s, seenAt: NOW })),
    );
    expect(out).toMatchObject({ sightingRows: [], recorded: 0, refused: [] });
    // copies sharing a pair (the same event from two relays) reach the pool once
    expect(checked).toEqual([events.map((e) => e.id)]);
    for (const e of events) expect(deps.verified.has(e.id, e.sig)).toBe(true);
    expect(await rowCount()).toBe(0);
  });

  it('a copy whose pair was verified earlier in the run: no lookup, no Schnorr check, an event row', async () => {
    const [e] = generateEvents(1, { seed: 62 }) as [NostrEvent];
    const verified: VerifiedPairs = createVerifiedPairs(1_000);
    verified.add(e.id, e.sig);
    // stored and already sighted: a lookup would have answered "recorded"; a proven id is not looked up
    await insertEvents(db.sql, [e]);
    await insertEventRelays(db.sql, [{ eventId: e.id, relayUrl: honest.url, seenAt: 1 }]);
    const { checked, deps } = setup({ verified });
    const out = await prepareBatch(from(honest, [e]), deps);
    expect(out).toEqual({
      eventRows: [{ event: e, relay: honest, seenAt: NOW }],
      sightingRows: [],
      recorded: 0,
      refused: [],
    });
    expect(checked).toEqual([]);
  });
  for (const order of ['forged first', 'honest first'] as const) {
    it(`new events, ${order}: the honest copy becomes an event row, the forged one is refused`, async () => {
      const events = generateEvents(3, { seed: 65 });
      const forged = from(forger, events.map(forge));
      const served = from(honest, events);
      const { deps } = setup();
      const out = await prepareBatch(order === 'forged first' ? [...forged, ...served] : [...served, ...forged], deps);
      expect(out.eventRows).toEqual(served.map((s) => ({ ...s, seenAt: NOW })));
      expect(out.refused).toEqual(events.map(() => ({ relayUrl: forger.url, reason: ID_MISMATCH, invalid: true })));
    });
  }
});

describe('prepareBatch: copies of stored events', () => {
  const events = generateEvents(4, { seed: 63 });
  beforeEach(async () => {
    await insertEvents(db.sql, events);
    await insertEventRelays(db.sql, [{ eventId: (events[0] as NostrEvent).id, relayUrl: honest.url, seenAt: 1 }]);
  });

  it('an honest copy with the stored signature is credited as a sighting without a Schnorr check', async () => {
    const { checked, deps } = setup();
    const out = await prepareBatch(from(other, events), deps);
    expect(out.sightingRows).toEqual(events.map((e) => ({ eventId: e.id, relayUrl: other.url, seenAt: NOW })));
    expect(out).toMatchObject({ eventRows: [], recorded: 0, refused: [] });
    expect(checked).toEqual([]);
    // the stored pair is now proven for the rest of the run
    for (const e of events) expect(deps.verified.has(e.id, e.sig)).toBe(true);
  });

  it('a sighting already recorded is counted, not written again', async () => {
    const { deps } = setup();
    const out = await prepareBatch(from(honest, events), deps);
    expect(out.recorded).toBe(1);
    expect(out.sightingRows.map((r) => r.eventId)).toEqual(events.slice(1).map((e) => e.id));
    expect(out.eventRows).toEqual([]);
  });

  it('forged copies (other content, or a signature that does not verify) are refused and never credited', async () => {
    const { checked, deps } = setup();
    const forged = events.map(forge);
    const resigned = events.map(badSig);
    const out = await prepareBatch([...from(forger, forged), ...from(forger, resigned), ...from(other, events)], deps);
    expect(out.refused).toEqual([
      ...forged.map(() => ({ relayUrl: forger.url, reason: ID_MISMATCH, invalid: true })),
      ...resigned.map(() => ({ relayUrl: forger.url, reason: BAD_SIGNATURE, invalid: true })),
    ]);
    // the altered content never reaches the pool (its id is wrong); the other signature is checked and fails
    expect(checked).toEqual([resigned.map((e) => e.id)]);
    expect(out.sightingRows).toEqual(events.map((e) => ({ eventId: e.id, relayUrl: other.url, seenAt: NOW })));
    expect(out.eventRows).toEqual([]);
    for (const e of resigned) expect(deps.verified.has(e.id, e.sig)).toBe(false);
  });
});

describe('prepareBatch: refused and skipped', () => {
  const sk = testSecretKey(64, 0);
  const signed = (content: string, tags: string[][] = [], kind = 1): NostrEvent =>
    signEvent({ created_at: 1_700_000_000, kind, tags, content }, sk);

  it('unstorable events are refused with their reason, before any Schnorr check', async () => {
    const good = signed('fine');
    const bad = [
      signed('x\ud800y'),
      signed('ok', [['t', 'a\udc00']]),
      signed('nul \u0000 here'),
      signed('ok', [['t', 'v'.repeat(2_049)]]),
    ];
    const { checked, deps } = setup();
    const out = await prepareBatch(from(forger, [...bad, good]), deps);
    expect(out.refused).toEqual(
      [
        'lone UTF-16 surrogate in content',
        'lone UTF-16 surrogate in a tag',
        'null character in content',
        'tag value longer than 2048 characters',
      ].map((reason) => ({ relayUrl: forger.url, reason, invalid: true })),
    );
    expect(out.eventRows.map((r) => r.event)).toEqual([good]);
    expect(checked).toEqual([[good.id]]);
  });

  it('maxEventSize refuses a larger event and keeps one at the limit', async () => {
    const small = signed('s');
    const big = signed('b'.repeat(500));
    const limit = Buffer.byteLength(JSON.stringify(small));
    const { deps } = setup({ maxEventSize: limit });
    const out = await prepareBatch(from(honest, [big, small]), deps);
    const size = Buffer.byteLength(JSON.stringify(big));
    expect(out.refused).toEqual([
      { relayUrl: honest.url, reason: `event of ${size} bytes exceeds ${limit}`, invalid: true },
    ]);
    expect(out.eventRows.map((r) => r.event)).toEqual([small]);
  });

  it('ephemeral kinds are skipped (not invalid, never verified) unless keepEphemeral', async () => {
    const kinds = [19_999, 20_000, 25_000, 29_999, 30_000];
    const events = kinds.map((k) => signed(`kind ${k}`, [], k));
    const skipped = setup();
    const out = await prepareBatch(from(honest, events), skipped.deps);
    expect(out.refused).toEqual(
      [1, 2, 3].map(() => ({ relayUrl: honest.url, reason: EPHEMERAL_SKIPPED, invalid: false })),
    );
    expect(out.eventRows.map((r) => r.event.kind)).toEqual([19_999, 30_000]);
    expect(skipped.checked.flat().sort()).toEqual([events[0]?.id, events[4]?.id].sort());

    const kept = setup({ keepEphemeral: true });
    const all = await prepareBatch(from(honest, events), kept.deps);
    expect(all.refused).toEqual([]);
    expect(all.eventRows.map((r) => r.event.kind)).toEqual(kinds);
  });
});
