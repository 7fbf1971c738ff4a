/** NIP-01 filters: strict parsing and matching semantics (inclusive since/until, ANY-tag `#x`, ANDed fields). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NostrEvent } from '../../models/event.js';
import { generateEvents } from '../../testing/events.js';
import { type Filter, matchFilter, matchFilters, parseFilter } from './filter.js';

const hex = (c: string): string => c.repeat(64);
const E1 = hex('e');
const E2 = hex('1');
const P1 = hex('a');
const P2 = hex('b');

describe('parseFilter', () => {
  it('accepts every NIP-01 field', () => {
    const f = {
      ids: [E1, E2],
      authors: [P1],
      kinds: [0, 1, 65535],
      since: 0,
      until: 1_700_000_000,
      limit: 0,
      search: 'best nostr apps',
      '#e': [E1],
      '#p': [P1, P2],
      '#t': ['nostr', ''],
    };
    expect(parseFilter(f)).toEqual({ ok: true, value: f });
  });
  it('accepts the empty filter, empty lists and an upper-case one-letter tag key', () => {
    expect(parseFilter({})).toEqual({ ok: true, value: {} });
    expect(parseFilter({ ids: [], kinds: [], '#t': [] })).toEqual({
      ok: true,
      value: { ids: [], kinds: [], '#t': [] },
    });
    expect(parseFilter({ '#E': ['x'] })).toEqual({ ok: true, value: { '#E': ['x'] } });
  });
  it('parses a filter that came from JSON', () => {
    const text = `{"kinds":[1],"#t":["a","b"],"since":10,"until":20,"limit":5}`;
    expect(parseFilter(JSON.parse(text))).toEqual({
      ok: true,
      value: { kinds: [1], '#t': ['a', 'b'], since: 10, until: 20, limit: 5 },
    });
  });

  it('ignores multi-letter tag keys on a relay (ignoreLongTagKeys), keeping the rest of the filter strict', () => {
    const opts = { ignoreLongTagKeys: true };
    expect(parseFilter({ kinds: [1], '#title': ['x'], '#t': ['a'] }, opts)).toEqual({
      ok: true,
      value: { kinds: [1], '#t': ['a'] },
    });
    expect(parseFilter({ foo: 1 }, opts).ok).toBe(false);
    expect(parseFilter({ '#': ['x'] }, opts).ok).toBe(false);
  });

  const rejected: [string, unknown][] = [
    ['null', null],
    ['undefined', undefined],
    ['a string', 'filter'],
    ['a number', 1],
    ['an array', [{ kinds: [1] }]],
    ['an empty array', []],
    ['an unknown key', { kinds: [1], foo: 1 }],
    ['a multi-letter tag key', { '#ab': ['x'] }],
    ['a bare # key', { '#': ['x'] }],
    ['a digit tag key', { '#1': ['x'] }],
    ['tag values that are not strings', { '#t': [1] }],
    ['tag values that are not a list', { '#t': 'x' }],
    ['upper-case hex in ids', { ids: [E1.toUpperCase()] }],
    ['mixed-case hex in ids', { ids: [`A${E1.slice(1)}`] }],
    ['upper-case hex in authors', { authors: [P1.toUpperCase()] }],
    ['63-char ids', { ids: [E1.slice(1)] }],
    ['65-char ids', { ids: [`${E1}e`] }],
    ['63-char authors', { authors: [P1.slice(1)] }],
    ['non-hex ids', { ids: [hex('g')] }],
    ['ids not a list', { ids: E1 }],
    ['ids with a number', { ids: [1] }],
    ['kinds with 70000', { kinds: [1, 70000] }],
    ['kinds with -1', { kinds: [-1] }],
    ['kinds with 1.5', { kinds: [1.5] }],
    ['kinds with a string', { kinds: ['1'] }],
    ['kinds not a list', { kinds: 1 }],
    ['negative since', { since: -1 }],
    ['negative until', { until: -1 }],
    ['fractional since', { since: 1.5 }],
    ['string since', { since: '10' }],
    ['string limit', { limit: '10' }],
    ['negative limit', { limit: -1 }],
    ['null limit', { limit: null }],
    ['numeric search', { search: 1 }],
  ];
  it.each(rejected)('rejects %s', (_label, value) => {
    expect(parseFilter(value)).toMatchObject({ ok: false, reason: 'invalid' });
  });
});

describe('matchFilter', () => {
  const evs = generateEvents(6, {
    seed: 11,
    pubkeys: 3,
    kinds: [1, 7, 0],
    createdAt: (i) => [5, 10, 20, 0, 10, 30][i] ?? 0,
    tags: (i) =>
      [
        [
          ['t', 'a'],
          ['t', 'b'],
        ],
        [
          ['e', E1, 'wss://relay.example'],
          ['p', P1],
        ],
        [['t', 'x', 'a']],
        [['t']],
        [
          ['e', E2],
          ['e', E1],
        ],
        [],
      ][i] ?? [],
  });
  const [e0, e1, e2, e3, e4, e5] = evs as [NostrEvent, NostrEvent, NostrEvent, NostrEvent, NostrEvent, NostrEvent];
  const matching = (f: Filter): NostrEvent[] => evs.filter((e) => matchFilter(f, e));

  it('the empty filter matches everything', () => {
    expect(matching({})).toEqual(evs);
  });
  it('ids membership', () => {
    expect(matching({ ids: [e1.id, e4.id] })).toEqual([e1, e4]);
    expect(matching({ ids: [E1] })).toEqual([]);
    expect(matching({ ids: [] })).toEqual([]);
  });
  it('authors membership', () => {
    expect(matching({ authors: [e0.pubkey] })).toEqual([e0, e3]);
    expect(matching({ authors: [e1.pubkey, e2.pubkey] })).toEqual([e1, e2, e4, e5]);
    expect(matching({ authors: [P1] })).toEqual([]);
  });
  it('kinds membership', () => {
    expect(matching({ kinds: [1] })).toEqual([e0, e3]);
    expect(matching({ kinds: [0, 7] })).toEqual([e1, e2, e4, e5]);
    expect(matching({ kinds: [3] })).toEqual([]);
  });
  it('#x matches when any tag named x has its first value in the list', () => {
    expect(matching({ '#t': ['a'] })).toEqual([e0]);
    expect(matching({ '#t': ['b'] })).toEqual([e0]);
    expect(matching({ '#t': ['x'] })).toEqual([e2]);
    expect(matching({ '#t': ['z'] })).toEqual([]);
    expect(matching({ '#e': [E1] })).toEqual([e1, e4]);
    expect(matching({ '#e': [E2] })).toEqual([e4]);
    expect(matching({ '#p': [P1, P2] })).toEqual([e1]);
    expect(matching({ '#p': [E1] })).toEqual([]);
    expect(matching({ '#T': ['a'] })).toEqual([]);
  });
  it('since and until are inclusive at both edges', () => {
    expect(matching({ since: 10 })).toEqual([e1, e2, e4, e5]);
    expect(matching({ until: 10 })).toEqual([e0, e1, e3, e4]);
    expect(matching({ since: 10, until: 10 })).toEqual([e1, e4]);
    expect(matching({ since: 5, until: 20 })).toEqual([e0, e1, e2, e4]);
    expect(matching({ since: 31 })).toEqual([]);
    expect(matching({ since: 11, until: 10 })).toEqual([]);
  });
  it('since 0 and until 0 are real bounds', () => {
    expect(matching({ since: 0 })).toEqual(evs);
    expect(matching({ until: 0 })).toEqual([e3]);
    expect(matchFilter({ until: 0 }, e0)).toBe(false);
    expect(matching({ since: 0, until: 0 })).toEqual([e3]);
  });
  it('conditions are ANDed', () => {
    expect(matching({ kinds: [7], '#e': [E1] })).toEqual([e1, e4]);
    expect(matching({ kinds: [7], '#e': [E1], since: 11 })).toEqual([]);
    expect(matching({ kinds: [7], '#e': [E1], until: 9 })).toEqual([]);
    expect(matching({ kinds: [7], '#p': [P1], '#e': [E1] })).toEqual([e1]);
    expect(matching({ ids: [e0.id], kinds: [7] })).toEqual([]);
    expect(matching({ authors: [e0.pubkey], '#t': ['a'] })).toEqual([e0]);
    expect(matching({ authors: [e0.pubkey], '#t': ['a'], until: 4 })).toEqual([]);
  });
  it('limit does not affect matching', () => {
    expect(matching({ limit: 0 })).toEqual(evs);
    expect(matching({ limit: 1 })).toEqual(evs);
    expect(matching({ kinds: [0, 7], limit: 1 })).toEqual([e1, e2, e4, e5]);
  });
  it('matchFilters is OR of the filters', () => {
    expect(evs.filter((e) => matchFilters([{ kinds: [1] }, { '#t': ['x'] }], e))).toEqual([e0, e2, e3]);
    expect(evs.filter((e) => matchFilters([], e))).toEqual([]);
  });
});

describe('matchFilter property', () => {
  const T = ['a', 'b', 'c', 'nostr'];
  const TAG_IDS = [E1, E2, hex('3')];
  const TAG_PKS = [P1, P2];
  const pool = generateEvents(40, {
    seed: 23,
    pubkeys: 5,
    kinds: [0, 1, 7, 30023],
    createdAt: (i) => (i * 7) % 12,
    tags: (i) => {
      const tags: string[][] = [];
      if (i % 2 === 0) tags.push(['t', T[i % T.length] as string]);
      if (i % 3 === 0) tags.push(['t', T[(i + 1) % T.length] as string]);
      if (i % 4 === 1) tags.push(['e', TAG_IDS[i % TAG_IDS.length] as string, 'wss://r.example', 'reply']);
      if (i % 5 === 2) tags.push(['p', TAG_PKS[i % TAG_PKS.length] as string]);
      if (i % 7 === 3) tags.push(['t']);
      if (i % 6 === 5) tags.push(['x', 'a', 'nostr']);
      return tags;
    },
  });
  const ids = [...pool.map((e) => e.id), hex('f')];
  const authors = [...new Set(pool.map((e) => e.pubkey)), hex('c')];
  const kinds = [0, 1, 3, 7, 30023];
  const tagValues = [...T, ...TAG_IDS, ...TAG_PKS, 'zzz', 'wss://r.example'];

  const filterArb = fc.record(
    {
      ids: fc.subarray(ids, { maxLength: 6 }),
      authors: fc.subarray(authors),
      kinds: fc.subarray(kinds),
      since: fc.integer({ min: 0, max: 13 }),
      until: fc.integer({ min: 0, max: 13 }),
      limit: fc.nat({ max: 5 }),
      '#t': fc.subarray(tagValues, { maxLength: 4 }),
      '#e': fc.subarray(tagValues, { maxLength: 4 }),
      '#p': fc.subarray(tagValues, { maxLength: 4 }),
      '#x': fc.subarray(tagValues, { maxLength: 4 }),
    },
    { requiredKeys: [] },
  );

  /** NIP-01, written out field by field. */
  function reference(f: Filter, e: NostrEvent): boolean {
    if (f.ids !== undefined && !f.ids.includes(e.id)) return false;
    if (f.authors !== undefined && !f.authors.includes(e.pubkey)) return false;
    if (f.kinds !== undefined && !f.kinds.includes(e.kind)) return false;
    if (f.since !== undefined && !(e.created_at >= f.since)) return false;
    if (f.until !== undefined && !(e.created_at <= f.until)) return false;
    for (const [key, values] of Object.entries(f)) {
      if (!key.startsWith('#') || values === undefined) continue;
      const name = key.slice(1);
      const list = values as string[];
      const hit = e.tags.some((t) => t[0] === name && t.length >= 2 && list.includes(t[1] as string));
      if (!hit) return false;
    }
    return true;
  }

  it('the pool covers matches and non-matches', () => {
    expect(pool.filter((e) => matchFilter({ '#t': ['a'] }, e)).length).toBeGreaterThan(0);
    expect(pool.filter((e) => matchFilter({ '#e': [E1] }, e)).length).toBeGreaterThan(0);
    expect(pool.filter((e) => matchFilter({ until: 0 }, e)).length).toBeGreaterThan(0);
  });

  it('matchFilter equals the reference predicate', () => {
    fc.assert(
      fc.property(filterArb, fc.constantFrom(...pool), (raw, e) => {
        const parsed = parseFilter(raw);
        expect(parsed.ok).toBe(true);
        const f = raw as Filter;
        expect(matchFilter(f, e)).toBe(reference(f, e));
      }),
      { numRuns: 300 },
    );
  });

  it('matchFilter equals the reference predicate over the whole pool', () => {
    fc.assert(
      fc.property(filterArb, (raw) => {
        const f = raw as Filter;
        expect(pool.filter((e) => matchFilter(f, e))).toEqual(pool.filter((e) => reference(f, e)));
      }),
      { numRuns: 200 },
    );
  });
});
