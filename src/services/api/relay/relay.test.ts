/**
 * The archive as a read-only Nostr relay: NIP-01 REQ answers equal to the events themselves and to the REST API,
 * COUNT (NIP-45), NIP-77 reconciliation and refused writes.
 */
import { nip77 } from 'nostr-tools';
import { describe, expect, it } from 'vitest';
import type { NostrEvent } from '../../../models/event.js';
import { type Filter, matchFilters } from '../../../nips/nip01/filter.js';
import { nip01Order, reqToEose, startArchiveApi } from '../../../testing/archive-relay.js';
import { generateEvents } from '../../../testing/events.js';
import {
  all,
  collect,
  db,
  events,
  hex,
  open,
  restIds,
  srv,
  T0,
  tools,
  truth,
  until,
  useArchiveRelay,
} from '../../../testing/vitest/archive-relay-fixture.js';
import { countFilters } from './count.js';

useArchiveRelay();

describe('relay endpoint: NIP-01 REQ', () => {
  const authors = [events[0]?.pubkey, events[1]?.pubkey] as string[];
  const cases: [string, Filter, string][] = [
    ['kinds', { kinds: [7], limit: 100 }, 'kinds=7&limit=100'],
    ['authors', { authors, limit: 40 }, `authors=${authors.join(',')}&limit=40`],
    [
      'authors and kinds',
      { authors, kinds: [1, 30023], limit: 60 },
      `authors=${authors.join(',')}&kinds=1,30023&limit=60`,
    ],
    ['an e tag (any position)', { '#e': [hex(50)], limit: 100 }, `%23e=${hex(50)}&limit=100`],
    ['a p tag with two values', { '#p': [hex(100), hex(103)], limit: 100 }, `%23p=${hex(100)},${hex(103)}&limit=100`],
    [
      'a time window (inclusive)',
      { since: T0 + 10, until: T0 + 30, limit: 100 },
      `since=${T0 + 10}&until=${T0 + 30}&limit=100`,
    ],
    [
      'kinds, tag and window together',
      { kinds: [1], '#t': ['nostr'], since: T0, until: T0 + 500 },
      `kinds=1&%23t=nostr&since=${T0}&until=${T0 + 500}&limit=150`,
    ],
    ['ids', { ids: [events[3]?.id, events[300]?.id] as string[] }, `ids=${events[3]?.id},${events[300]?.id}`],
  ];
  for (const [name, filter, query] of cases) {
    it(`serves ${name} like the REST API, newest first with ties by id`, async () => {
      const got = await reqToEose(tools, [filter]);
      const ids = got.map((e) => e.id);
      expect(ids.length).toBeGreaterThan(0);
      expect(ids).toEqual(truth(filter));
      expect(ids).toEqual(await restIds(query));
      expect([...got].sort(nip01Order)).toEqual(got);
    });
  }

  it('caps limit at max_limit, applies it per filter and joins several filters without duplicates', async () => {
    expect((await reqToEose(tools, [{}])).map((e) => e.id)).toEqual(all.slice(0, 150).map((e) => e.id));
    expect(await reqToEose(tools, [{ limit: 10_000 }])).toHaveLength(150);
    const filters: Filter[] = [
      { kinds: [7], limit: 5 },
      { '#e': [hex(50)], limit: 5 },
      { kinds: [7], limit: 3 },
    ];
    const got = (await reqToEose(tools, filters)).map((e) => e.id);
    const expected = [...new Set([...truth(filters[0] as Filter), ...truth(filters[1] as Filter)])];
    expect(new Set(got)).toEqual(new Set(expected));
    expect(got).toHaveLength(new Set(got).size);
    expect(await reqToEose(tools, [{ kinds: [7], limit: 0 }])).toEqual([]);
  });

  it('ignores multi-letter tag keys (NIP-01) instead of refusing the filter', async () => {
    // raw frames: nostr-tools itself drops events that fail the '#title' test on its side
    const ws = await open(srv.relayUrl);
    const frames = collect(ws);
    ws.send(JSON.stringify(['REQ', 'm', { kinds: [7], '#title': ['none'], limit: 20 }]));
    await until(() => frames.some((f) => f[0] === 'EOSE'));
    ws.close();
    const ids = frames.filter((f) => f[0] === 'EVENT').map((f) => (f[2] as NostrEvent).id);
    expect(ids).toEqual(truth({ kinds: [7], limit: 20 }));
  });

  it('returns events that verify, byte for byte as archived', async () => {
    const got = await reqToEose(tools, [{ ids: [events[10]?.id as string] }]);
    expect(JSON.parse(JSON.stringify(got))).toEqual([events[10]]);
  });
});

describe('relay endpoint: COUNT, NIP-77, writes', () => {
  it('counts exactly (NIP-45), limits ignored', async () => {
    expect(await tools.count([{ kinds: [7], limit: 1 }], {})).toBe(events.filter((e) => e.kind === 7).length);
    const f: Filter[] = [{ '#e': [hex(50)] }, { kinds: [30023] }];
    expect(await tools.count(f as never, {})).toBe(events.filter((e) => matchFilters(f, e)).length);
    expect(await tools.count([{ ids: [] }], {})).toBe(0);
  });

  it('answers the planner estimate, marked approximate, when the exact count takes too long', async () => {
    // a writer's lock holds the exact count past its timeout; the estimate is planned once the lock is gone
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const locked = new Promise<void>((ready) => {
      void db.sql.begin(async (tx) => {
        await tx`LOCK TABLE event IN ACCESS EXCLUSIVE MODE`;
        ready();
        await held;
      });
    });
    await locked;
    const answer = countFilters(db.sql, [{ kinds: [7] }], 200);
    setTimeout(release, 600);
    const r = await answer;
    expect(r.approximate).toBe(true);
    expect(r.count).toBeGreaterThan(0);
  });

  it('reconciles with NIP-77: the client learns exactly the ids it misses and the ids only it has', async () => {
    const storage = new nip77.NegentropyStorageVector();
    const kind1 = events.filter((e) => e.kind === 1);
    const held = kind1.filter((_, i) => i % 3 !== 0);
    const foreign = generateEvents(7, { seed: 99, kinds: [1] });
    for (const e of [...held, ...foreign]) storage.insert(e.created_at, e.id);
    storage.seal();
    const need: string[] = [];
    const have: string[] = [];
    // nostr-tools reports the end (or NEG-ERR) through onclose; start() only sends NEG-OPEN
    const error = await new Promise<string | undefined>((resolve) => {
      const sync = new nip77.NegentropySync(
        tools,
        storage,
        { kinds: [1] },
        {
          onneed: (id) => void need.push(id),
          onhave: (id) => void have.push(id),
          onclose: resolve,
        },
      );
      void sync.start();
    });
    expect(error).toBeUndefined();
    expect(new Set(need)).toEqual(new Set(kind1.filter((_, i) => i % 3 === 0).map((e) => e.id)));
    expect(need).toHaveLength(new Set(need).size);
    expect(new Set(have)).toEqual(new Set(foreign.map((e) => e.id)));
  });

  it('refuses NEG-OPEN past the record limit with NEG-ERR blocked, and every EVENT as read-only', async () => {
    await using small = await startArchiveApi(db.sql, { negentropy_max_records: 100 });
    const ws = await open(small.relayUrl);
    const frames = collect(ws);
    ws.send(JSON.stringify(['NEG-OPEN', 'n1', { kinds: [1, 7] }, '6100000200']));
    ws.send(JSON.stringify(['NEG-OPEN', 'n2', { kinds: [7], authors: [events[1]?.pubkey] }, '6100000200']));
    ws.send(JSON.stringify(['EVENT', events[0]]));
    await until(() => frames.length >= 3);
    expect(frames[0]).toEqual([
      'NEG-ERR',
      'n1',
      'blocked: more than 100 records match; narrow the filter (since/until)',
    ]);
    expect(frames[1]?.[0]).toBe('NEG-MSG');
    expect(frames[2]).toEqual(['OK', events[0]?.id, false, 'blocked: read-only archive']);
    ws.close();
    await expect(tools.publish(events[1] as never)).rejects.toThrow(/blocked: read-only archive/);
    expect(small.deps.counters.get('relay_events_refused')).toBe(1);
  });
});
