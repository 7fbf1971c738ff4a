import postgres from 'postgres';
import { beforeEach, describe, expect, it } from 'vitest';
import { auditEvents } from '../../core/db/audit.js';
import { getServiceState, insertRelays } from '../../core/db/store.js';
import { computeEventId, type EventId, type NostrEvent } from '../../models/event.js';
import type { Relay, RelayUrl } from '../../models/relay.js';
import { generateEvents, signEvent, testSecretKey } from '../../testing/events.js';
import { useSyncHarness } from '../../testing/vitest/sync-harness.js';
import { createEventWriter, type WriterDeps } from './writer.js';

const harness = useSyncHarness();
const db = harness.db;
const relay = (name: string): Relay => ({ url: `ws://${name}.test` as RelayUrl, network: 'local', discoveredAt: 1 });
const honest = relay('honest');
const forger = relay('forger');
const other = relay('other');

// after the harness has emptied the database
beforeEach(async () => {
  await insertRelays(db.sql, [honest, forger, other]);
});

const writer = (over: Partial<WriterDeps> = {}) =>
  createEventWriter({ sql: db.sql, pool: harness.pool(), batchSize: 50, now: () => 1_700_000_000, ...over });

/** A promise and the function that resolves it. */
function signal(): [Promise<void>, () => void] {
  let resolve!: () => void;
  return [new Promise<void>((r) => (resolve = r)), () => resolve()];
}

/** Same id and signature, other content: what a forger serves for a known event. */
const forge = (e: NostrEvent): NostrEvent => ({ ...e, content: `${e.content} (altered)` });
/** Same content and id, a signature that does not verify. */
const badSig = (e: NostrEvent): NostrEvent => ({
  ...e,
  sig: `${e.sig.slice(0, 127)}${e.sig[127] === '0' ? '1' : '0'}`,
});

async function sightings(r: Relay): Promise<Set<string>> {
  const rows = await db.sql`SELECT encode(event_id, 'hex') AS id FROM event_relay WHERE relay_url = ${r.url}`;
  return new Set(rows.map((x) => String(x.id)));
}

/** The whole database re-verifies: the test's last word. */
const expectAuditClean = () => harness.expectAuditClean();

describe('event writer: provenance', () => {
  const events = generateEvents(120, { seed: 41 });

  for (const order of ['forged first', 'honest first'] as const) {
    it(`same batch, ${order}: the honest copy is stored and credited, the forged one invalid and never credited`, async () => {
      const w = writer({ batchSize: 1_000 });
      const forged = events.map(forge);
      if (order === 'forged first') {
        await w.add(forger, forged);
        await w.add(honest, events);
      } else {
        await w.add(honest, events);
        await w.add(forger, forged);
      }
      await w.flush();
      expect(await sightings(honest)).toEqual(new Set(events.map((e) => e.id)));
      expect((await sightings(forger)).size).toBe(0);
      const [row] = await db.sql`SELECT content FROM event WHERE id = ${Buffer.from(events[0]?.id as string, 'hex')}`;
      expect(row?.content).toBe(events[0]?.content);
      expect(w.stats).toMatchObject({ seen: 240, inserted: 120, invalid: 120, duplicates: 0 });
      expect(w.refusedFrom(forger.url)).toEqual({ 'id does not match the event': 120 });
      expect(w.refusedFrom(honest.url)).toEqual({});
      await expectAuditClean();
    });
  }

  it('a forged signature beside the honest one in a batch: the honest copy stored, the other invalid', async () => {
    const w = writer({ batchSize: 1_000 });
    await w.add(forger, events.map(badSig));
    await w.add(honest, events);
    await w.flush();
    expect(await sightings(honest)).toEqual(new Set(events.map((e) => e.id)));
    expect((await sightings(forger)).size).toBe(0);
    expect(w.refusedFrom(forger.url)).toEqual({ 'invalid signature': 120 });
    await expectAuditClean();
  });

  it('forged copies in later batches and in a later run (known ids, stored pairs): never credited', async () => {
    const w = writer({ batchSize: 40 });
    await w.add(honest, events);
    await w.add(forger, events.map(forge));
    await w.add(forger, events.slice(0, 10).map(badSig));
    await w.flush();
    expect((await sightings(forger)).size).toBe(0);
    expect(w.stats.invalid).toBe(130);
    // a new writer remembers nothing: the stored signature is what it compares with
    const later = writer({ batchSize: 40 });
    await later.add(forger, events.map(forge));
    await later.add(forger, events.map(badSig));
    await later.add(other, events.slice(0, 30));
    await later.flush();
    expect((await sightings(forger)).size).toBe(0);
    expect(later.stats).toMatchObject({ invalid: 240, inserted: 0, duplicates: 30 });
    expect(await sightings(other)).toEqual(new Set(events.slice(0, 30).map((e) => e.id)));
    await expectAuditClean();
  });

  it('a forged copy first, the honest copy in a later batch: the honest one is stored', async () => {
    const w = writer({ batchSize: 40 });
    await w.add(forger, events.map(forge));
    await w.add(honest, events);
    await w.flush();
    expect(await sightings(honest)).toEqual(new Set(events.map((e) => e.id)));
    expect((await sightings(forger)).size).toBe(0);
    await expectAuditClean();
  });
});

describe('event writer: what is refused', () => {
  const sk = testSecretKey(42, 0);
  const signed = (content: string, tags: string[][] = []): NostrEvent =>
    signEvent({ created_at: 1_700_000_000, kind: 1, tags, content }, sk);

  it('refuses lone surrogates and NUL anywhere (they would not be stored as signed), stores the rest', async () => {
    const bad = [
      signed('x\ud800y'),
      signed('x\udc00'),
      signed('ok', [['t', '\ud83d']]),
      signed('nul\u0000'),
      signed('ok', [['t', 'a\u0000b']]),
      signed('ok', [['\ud800', 'x']]),
    ];
    const good = [signed('a pair \ud83d\ude00 is fine'), signed('plain', [['t', 'é']])];
    // each is correctly signed: only the storable rule stands between it and the database
    for (const e of [...bad, ...good]) expect(computeEventId(e)).toBe(e.id);
    const w = writer();
    await w.add(honest, [...bad, ...good]);
    await w.flush();
    expect(await sightings(honest)).toEqual(new Set(good.map((e) => e.id)));
    expect(w.stats.invalid).toBe(bad.length);
    expect(w.refusedFrom(honest.url)).toEqual({
      'lone UTF-16 surrogate in content': 2,
      'lone UTF-16 surrogate in a tag': 2,
      'null character in content': 1,
      'null character in a tag': 1,
    });
    await expectAuditClean();
  });

  it('skips ephemeral kinds by default, counted with the reason; keeps them when asked', async () => {
    const mixed = generateEvents(40, { seed: 43, kinds: [1, 20001, 29999, 30000] });
    const ephemeral = mixed.filter((e) => e.kind >= 20000 && e.kind < 30000);
    const w = writer();
    await w.add(honest, mixed);
    await w.flush();
    expect((await sightings(honest)).size).toBe(20);
    expect(w.stats).toMatchObject({ skipped: 20, invalid: 0, inserted: 20, refusals: { 'ephemeral kind': 20 } });
    const keep = writer({ keepEphemeral: true });
    await keep.add(honest, ephemeral);
    await keep.flush();
    expect((await sightings(honest)).size).toBe(40);
    expect(keep.stats.skipped).toBe(0);
    await expectAuditClean();
  });
});

describe('event writer: ordering and failures', () => {
  it('writes a cursor only after every batch before it committed, even when a later batch commits first', async () => {
    const first = generateEvents(50, { seed: 44 });
    const second = generateEvents(50, { seed: 45 });
    // another transaction holds the insert of one event of the first batch: that batch's commit waits on it
    const blocker = postgres(db.url, { max: 1, onnotice: () => {} });
    const held = first[0] as NostrEvent;
    const [released, release] = signal();
    const [isLocked, locked] = signal();
    const holder = blocker
      .begin(async (tx) => {
        await tx`SELECT event_insert(ARRAY[${Buffer.from(held.id, 'hex')}]::bytea[], ARRAY[${Buffer.from(held.pubkey, 'hex')}]::bytea[],
          ARRAY[${held.created_at}]::bigint[], ARRAY[${held.kind}]::int[], ARRAY[${JSON.stringify(held.tags)}]::jsonb[],
          ARRAY[${held.content}]::text[], ARRAY[${Buffer.from(held.sig, 'hex')}]::bytea[])`;
        locked();
        await released;
        throw new Error('roll back');
      })
      .catch(() => undefined);
    try {
      await isLocked;
      const w = writer({ batchSize: 50 });
      await w.add(honest, first);
      await w.add(other, second);
      w.mark(other, { timestamp: 2 });
      const flushed = w.flush();
      // the second batch commits while the first waits
      const deadline = Date.now() + 10_000;
      while ((await sightings(other)).size < 50 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      expect((await sightings(other)).size).toBe(50);
      expect((await sightings(honest)).size).toBe(0);
      await new Promise((r) => setTimeout(r, 300));
      expect(await getServiceState(db.sql, 'synchronizer', 'cursor', other.url)).toEqual([]);
      release();
      await flushed;
      expect((await sightings(honest)).size).toBe(50);
      const [cursor] = await getServiceState(db.sql, 'synchronizer', 'cursor', other.url);
      expect(cursor?.stateValue).toEqual({ timestamp: 2 });
    } finally {
      release();
      await holder;
      await blocker.end({ timeout: 5 });
    }
  });

  it('retries a commit that failed transiently, storing each event once', async () => {
    await db.sql.unsafe(`
      CREATE SEQUENCE IF NOT EXISTS fault_seq;
      SELECT setval('fault_seq', 1, false);
      CREATE OR REPLACE FUNCTION fault_once() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF nextval('fault_seq') = 1 THEN RAISE EXCEPTION 'injected' USING ERRCODE = '40001'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER fault_once BEFORE INSERT ON event_relay FOR EACH ROW EXECUTE FUNCTION fault_once();`);
    try {
      const retries: number[] = [];
      const w = writer({ onRetry: (_err, attempt) => retries.push(attempt) });
      const events = generateEvents(30, { seed: 46 });
      await w.add(honest, events);
      await w.flush();
      expect(retries).toEqual([1]);
      expect(w.stats).toMatchObject({ inserted: 30, duplicates: 0, batches: 1 });
      expect(await sightings(honest)).toEqual(new Set(events.map((e) => e.id)));
    } finally {
      await db.sql.unsafe('DROP TRIGGER fault_once ON event_relay');
    }
    await expectAuditClean();
  });

  it('a failed cursor write rejects flush and the next add, never as an unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    await db.sql.unsafe(`
      CREATE OR REPLACE FUNCTION refuse_state() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'cursor write refused' USING ERRCODE = '42501'; END $$;
      CREATE TRIGGER refuse_state BEFORE INSERT OR UPDATE ON service_state FOR EACH ROW EXECUTE FUNCTION refuse_state();`);
    try {
      const w = writer({ batchSize: 10 });
      const events = generateEvents(30, { seed: 47 });
      await w.add(honest, events.slice(0, 10));
      w.mark(honest, { timestamp: 1 });
      await w.add(honest, events.slice(10, 20));
      // the cursor write fails in the background; give it time to, then see it surface where it belongs
      const deadline = Date.now() + 10_000;
      let addError: unknown;
      while (addError === undefined && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        addError = await w.add(honest, []).then(
          () => undefined,
          (err: unknown) => err,
        );
      }
      expect(String(addError)).toContain('cursor write refused');
      await expect(w.flush()).rejects.toThrow('cursor write refused');
      await new Promise((r) => setTimeout(r, 50));
      expect(unhandled).toEqual([]);
      expect(await getServiceState(db.sql, 'synchronizer', 'cursor', honest.url)).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await db.sql.unsafe('DROP TRIGGER refuse_state ON service_state');
    }
  });

  it('ends with an audit that finds a row altered in the database', async () => {
    const events = generateEvents(20, { seed: 48 });
    const w = writer();
    await w.add(honest, events);
    await w.flush();
    const target = events[3] as NostrEvent;
    await db.sql`UPDATE event SET content = 'tampered' WHERE id = ${Buffer.from(target.id, 'hex')}`;
    const report = await auditEvents(db.sql, { verify: (e) => harness.pool().verify(e), pageSize: 7 });
    expect(report).toEqual({
      verifiable: true,
      checked: 20,
      bad: [{ id: target.id as EventId, reason: 'id does not match the event' }],
    });
    const sample = await auditEvents(db.sql, { verify: (e) => harness.pool().verify(e), sample: 200 });
    expect(sample.verifiable && sample.checked).toBeGreaterThan(0);
    expect(sample.verifiable && sample.checked).toBeLessThanOrEqual(20);
  });
});
