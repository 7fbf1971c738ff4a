import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../src/testing/vitest/db.js';
import { ev, hex32, insertCascade, insertRelayMetadata } from './helpers.js';

const db = useTestDatabase('bigbrotr');
const b = (h: string): Buffer => Buffer.from(h, 'hex');

describe('level 1 functions', () => {
  it('relay_insert counts new rows, ignores conflicts and duplicates inside the batch', async () => {
    const { sql } = db;
    const urls = ['wss://a.example.com', 'wss://b.example.com', 'wss://a.example.com'];
    const [r1] =
      await sql`SELECT relay_insert(${urls}::text[], ${['clearnet', 'clearnet', 'clearnet']}::text[], ${[1, 2, 3]}::bigint[]) AS n`;
    expect(r1?.n).toBe(2);
    const [r2] =
      await sql`SELECT relay_insert(${urls.slice(0, 1)}::text[], ${['clearnet']}::text[], ${[9]}::bigint[]) AS n`;
    expect(r2?.n).toBe(0);
    const [row] = await sql`SELECT discovered_at FROM relay WHERE url = 'wss://a.example.com'`;
    expect(Number(row?.discovered_at)).toBe(1);
  });

  it('event_insert stores every column and computes tagvalues', async () => {
    const { sql } = db;
    const e = ev(1, { tags: [['e', 'abc'], ['p', 'def'], ['relay', 'wss://x'], ['t'], ['e', 'abc', 'x']] });
    const [r] =
      await sql`SELECT event_insert(${sql.array([b(e.id), b(e.id)], 1001)}, ${sql.array([b(e.pubkey), b(e.pubkey)], 1001)},
      ${[e.created_at, e.created_at]}::bigint[], ${[1, 1]}::int[], ${[JSON.stringify(e.tags), JSON.stringify(e.tags)]}::text[]::jsonb[],
      ${[e.content, e.content]}::text[], ${sql.array([b(e.sig), b(e.sig)], 1001)}) AS n`;
    expect(r?.n).toBe(1);
    const [row] =
      await sql`SELECT to_jsonb(tagvalues) AS tagvalues, content, encode(sig, 'hex') AS sig, tags FROM event WHERE id = ${b(e.id)}`;
    // read as JSON: postgres.js parses a NULL array element as the string 'NULL'
    expect(row?.tagvalues).toEqual(['e:abc', 'p:def', null, 'e:abc']);
    expect(row?.content).toBe('c1');
    expect(row?.sig).toBe(e.sig);
    expect(row?.tags).toEqual(e.tags);
  });

  it("tags_to_tagvalues gives the reference's output for every tags value", async () => {
    const { sql } = db;
    const cases: [unknown, (string | null)[] | null][] = [
      [
        [
          ['e', 'abc'],
          ['p', 'def'],
          ['relay', 'wss://x'],
        ],
        ['e:abc', 'p:def'],
      ],
      [[], []],
      [[['d', '']], ['d:']],
      // a one-letter tag without a value is kept as a NULL element, in place
      [
        [['x'], ['e', 'a'], ['t']],
        [null, 'e:a', null],
      ],
      // only the first value counts; an empty tag and an empty name are skipped
      [[['e', 'a', 'b'], [], ['', 'z'], ['ab', 'c']], ['e:a']],
      // one character is one code point
      [
        [
          ['😀', 'x'],
          ['é', 'y'],
        ],
        ['😀:x', 'é:y'],
      ],
      // non-string elements are read as their JSON text
      [
        [
          [1, 'a'],
          ['t', 2],
          ['t', true],
          ['t', null],
          ['t', { k: 1 }],
          ['t', ['n']],
        ],
        ['1:a', 't:2', 't:true', null, 't:{"k": 1}', 't:["n"]'],
      ],
      // an element that is not an array: a scalar is read as a one-element tag, an object is skipped
      [
        ['e', { e: 'a' }, 5],
        [null, null],
      ],
      [{ not: 'an array' }, []],
    ];
    for (const [tags, expected] of cases) {
      const [row] = await sql`SELECT to_jsonb(tags_to_tagvalues(${JSON.stringify(tags)}::text::jsonb)) AS v`;
      expect([tags, row?.v]).toEqual([tags, expected]);
    }
    const [strict] = await sql`SELECT tags_to_tagvalues(NULL) IS NULL AS n`;
    expect(strict?.n).toBe(true);
  });

  it('metadata, event_relay and relay_metadata inserts count and ignore conflicts', async () => {
    const { sql } = db;
    const id = hex32(77);
    const [m1] =
      await sql`SELECT metadata_insert(${sql.array([b(id), b(id)], 1001)}, ${['nip11_info', 'nip66_rtt']}::text[], ${['{"a":1}', '{"a":1}']}::text[]::jsonb[]) AS n`;
    expect(m1?.n).toBe(2);
    const [m2] =
      await sql`SELECT metadata_insert(${sql.array([b(id)], 1001)}, ${['nip11_info']}::text[], ${['{"a":1}']}::text[]::jsonb[]) AS n`;
    expect(m2?.n).toBe(0);
    const [rm] = await sql`SELECT relay_metadata_insert(${['wss://a.example.com', 'wss://a.example.com']}::text[],
      ${sql.array([b(id), b(id)], 1001)}, ${['nip11_info', 'nip11_info']}::text[], ${[10, 10]}::bigint[]) AS n`;
    expect(rm?.n).toBe(1);
    const [er] =
      await sql`SELECT event_relay_insert(${sql.array([b(hex32(1)), b(hex32(1))], 1001)}, ${['wss://a.example.com', 'wss://b.example.com']}::text[], ${[5, 6]}::bigint[]) AS n`;
    expect(er?.n).toBe(2);
    await expect(
      sql`SELECT event_relay_insert(${sql.array([b(hex32(999))], 1001)}, ${['wss://a.example.com']}::text[], ${[5]}::bigint[])`,
    ).rejects.toMatchObject({ code: '23503' });
  });

  it('service_state upsert (last value per key wins, whole value replaced), get and delete', async () => {
    const { sql } = db;
    const names = ['validator', 'validator', 'validator'];
    const types = ['checkpoint', 'checkpoint', 'checkpoint'];
    const keys = ['wss://k1.example.com', 'wss://k2.example.com', 'wss://k1.example.com'];
    const values = ['{"failures":0,"network":"clearnet"}', '{"failures":1}', '{"failures":2}'];
    const [u] =
      await sql`SELECT service_state_upsert(${names}::text[], ${types}::text[], ${keys}::text[], ${values}::text[]::jsonb[]) AS n`;
    expect(u?.n).toBe(2);
    const all = await sql`SELECT * FROM service_state_get('validator', 'checkpoint')`;
    expect(all.map((r) => [r.state_key, r.state_value])).toEqual([
      ['wss://k1.example.com', { failures: 2 }],
      ['wss://k2.example.com', { failures: 1 }],
    ]);
    const one = await sql`SELECT * FROM service_state_get('validator', 'checkpoint', 'wss://k2.example.com')`;
    expect(one).toHaveLength(1);
    const [d] =
      await sql`SELECT service_state_delete(${['validator', 'validator']}::text[], ${['checkpoint', 'checkpoint']}::text[], ${['wss://k1.example.com', 'wss://nope.example.com']}::text[]) AS n`;
    expect(d?.n).toBe(1);
  });
});

describe('cascades and cleanup', () => {
  it('event_relay_insert_cascade creates parents and counts junction rows, tolerating duplicates', async () => {
    const { sql } = db;
    const events = [ev(100), ev(101), ev(100)];
    expect(await insertCascade(sql, events, 'wss://cascade.example.com')).toBe(2);
    expect(await insertCascade(sql, events, 'wss://cascade.example.com')).toBe(0);
    expect(await insertCascade(sql, [ev(100)], 'wss://other.example.com')).toBe(1);
    const [r] =
      await sql`SELECT count(*)::int AS n FROM relay WHERE url IN ('wss://cascade.example.com', 'wss://other.example.com')`;
    expect(r?.n).toBe(2);
  });

  it('relay_metadata_insert_cascade stores identical documents once', async () => {
    const { sql } = db;
    const id = hex32(500);
    expect(
      await insertRelayMetadata(sql, 'wss://m.example.com', 'nip66_rtt', id, { data: { rtt_open: 10 } }, 100),
    ).toBe(1);
    expect(
      await insertRelayMetadata(sql, 'wss://m.example.com', 'nip66_rtt', id, { data: { rtt_open: 10 } }, 200),
    ).toBe(1);
    const [r] = await sql`SELECT count(*)::int AS n FROM metadata WHERE id = ${b(id)}`;
    expect(r?.n).toBe(1);
  });

  it('orphan deletes work in batches and return totals', async () => {
    const { sql } = db;
    const ids = [601, 602, 603, 604, 605].map(hex32);
    await sql`SELECT event_insert(${sql.array(ids.map(b), 1001)}, ${sql.array(
      ids.map(() => b(hex32(1))),
      1001,
    )}, ${ids.map(() => 1)}::bigint[],
      ${ids.map(() => 1)}::int[], ${ids.map(() => '[]')}::text[]::jsonb[], ${ids.map(() => '')}::text[], ${sql.array(
        ids.map(() => b(hex32(1) + hex32(1))),
        1001,
      )})`;
    await sql`SELECT metadata_insert(${sql.array([b(hex32(700)), b(hex32(701)), b(hex32(702))], 1001)}, ${['nip66_dns', 'nip66_dns', 'nip66_dns']}::text[], ${['{}', '{}', '{}']}::text[]::jsonb[])`;
    const before = await sql`SELECT count(*)::int AS n FROM event`;
    const [e] = await sql`SELECT orphan_event_delete(2) AS n`;
    expect(e?.n).toBeGreaterThanOrEqual(5);
    const [left] =
      await sql`SELECT count(*)::int AS n FROM event e WHERE NOT EXISTS (SELECT 1 FROM event_relay er WHERE er.event_id = e.id)`;
    expect(left?.n).toBe(0);
    const after = await sql`SELECT count(*)::int AS n FROM event`;
    expect((before[0]?.n ?? 0) - (after[0]?.n ?? 0)).toBe(e?.n);
    const [m] = await sql`SELECT orphan_metadata_delete(2) AS n`;
    expect(m?.n).toBeGreaterThanOrEqual(3);
    const [kept] = await sql`SELECT count(*)::int AS n FROM metadata WHERE id = ${b(hex32(500))}`;
    expect(kept?.n).toBe(1);
  });
});
