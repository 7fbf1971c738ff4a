import { nip77 } from 'nostr-tools';
import type { Relay } from 'nostr-tools/relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { insertEventRelaysCascade } from '../../../core/db/store.js';
import type { NostrEvent } from '../../../models/event.js';
import type { RelayUrl } from '../../../models/relay.js';
import { type Filter, matchFilters } from '../../../nips/nip01/filter.js';
import {
  type ArchiveApi,
  connectTools,
  nip01Order,
  reqToEose,
  startArchiveApi,
} from '../../../testing/archive-relay.js';
import { generateEvents } from '../../../testing/events.js';
import { useTestDatabase } from '../../../testing/vitest/db.js';
import { countFilters } from './count.js';

const db = useTestDatabase('bigbrotr');
const T0 = 1_700_000_000;
const relayA = { url: 'wss://a.example.com' as RelayUrl, network: 'clearnet' as const, discoveredAt: 1 };
const relayB = { url: 'wss://b.example.com' as RelayUrl, network: 'clearnet' as const, discoveredAt: 1 };
const hex = (n: number) => n.toString(16).padStart(64, '0');

// 400 events: 3 kinds, 6 authors, e/p tags and a multi-letter tag, 40 pairs sharing a second (NIP-01 tie-break)
const events: NostrEvent[] = generateEvents(400, {
  seed: 21,
  pubkeys: 6,
  kinds: [1, 7, 30023],
  createdAt: (i) => T0 + Math.floor(i / 2) * (i < 80 ? 1 : 3),
  tags: (i) => [
    ['e', hex(i % 9)],
    ['p', hex(100 + (i % 4)), 'wss://hint'],
    ['title', `t${i % 5}`],
    ...(i % 10 === 0
      ? [
          ['t', 'nostr'],
          ['e', hex(50)],
        ]
      : []),
  ],
});
const all = [...events].sort(nip01Order);
let srv: ArchiveApi;
let tools: Relay;

beforeAll(async () => {
  await insertEventRelaysCascade(db.sql, [
    ...events.map((event) => ({ event, relay: relayA, seenAt: T0 })),
    ...events.slice(0, 50).map((event) => ({ event, relay: relayB, seenAt: T0 + 1 })),
  ]);
  srv = await startArchiveApi(db.sql, { max_limit: 150, negentropy_max_records: 1000 });
  tools = await connectTools(srv.relayUrl);
});
afterAll(async () => {
  tools?.close();
  await srv?.api.close();
});

/** The same query through the REST API (`/v1/events`, ties by id descending there): the ids, in NIP-01 order. */
async function restIds(query: string): Promise<string[]> {
  const res = await fetch(`${srv.api.url}/v1/events?${query}`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { data: { event: NostrEvent }[] };
  return body.data
    .map((d) => d.event)
    .sort(nip01Order)
    .map((e) => e.id);
}

/** The expected answer from the events themselves. */
const truth = (f: Filter, limit = 150): string[] =>
  all
    .filter((e) => matchFilters([f], e))
    .slice(0, Math.min(f.limit ?? limit, limit))
    .map((e) => e.id);

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

describe('relay endpoint: limits, live events, NIP-11', () => {
  it('bounds subscriptions per connection, connections per address and the request rate', async () => {
    await using lim = await startArchiveApi(
      db.sql,
      { max_subscriptions: 2, max_connections_per_address: 2 },
      { rateLimit: { perSecond: 0.1, burst: 4 } },
    );
    const a = await open(lim.relayUrl);
    const frames = collect(a);
    for (const id of ['s1', 's2', 's3']) a.send(JSON.stringify(['REQ', id, { kinds: [7], limit: 1 }]));
    a.send(JSON.stringify(['CLOSE', 's1']));
    a.send(JSON.stringify(['COUNT', 'c1', { kinds: [7] }]));
    a.send(JSON.stringify(['REQ', 's4', { kinds: [7], limit: 1 }]));
    await until(() => frames.filter((f) => f[0] !== 'EVENT').length >= 5);
    const closed = frames.filter((f) => f[0] === 'CLOSED');
    expect(closed).toContainEqual(['CLOSED', 's3', 'blocked: at most 2 open subscriptions per connection']);
    expect(closed.find((f) => f[1] === 's4')?.[2]).toMatch(/^rate-limited: /);
    expect(frames.filter((f) => f[0] === 'EOSE').map((f) => f[1])).toEqual(['s1', 's2']);
    const b = await open(lim.relayUrl);
    await expect(open(lim.relayUrl)).rejects.toThrow(/429/);
    a.close();
    b.close();
    expect(lim.deps.counters.get('relay_connections_refused')).toBe(1);
  });

  it('delivers newly archived events to live subscriptions after EOSE, once, and only the matching ones', async () => {
    const live = await connectTools(srv.relayUrl);
    const got: NostrEvent[] = [];
    let eose = false;
    live.subscribe([{ kinds: [1], '#t': ['live'] }], {
      onevent: (e) => void got.push(e as unknown as NostrEvent),
      oneose: () => {
        eose = true;
      },
    });
    await until(() => eose);
    const now = Math.floor(Date.now() / 1000);
    const fresh = generateEvents(3, { seed: 77, kinds: [1, 7, 1], tags: () => [['t', 'live']] });
    await insertEventRelaysCascade(
      db.sql,
      fresh.map((event) => ({ event, relay: relayA, seenAt: now })),
    );
    // an old event seen again on another relay is not new
    await insertEventRelaysCascade(db.sql, [{ event: events[5] as NostrEvent, relay: relayB, seenAt: now }]);
    await until(() => got.length >= 2);
    await new Promise((r) => setTimeout(r, 500)); // a few more polls: nothing is delivered twice
    expect(got.map((e) => e.id).sort()).toEqual([fresh[0]?.id, fresh[2]?.id].sort());
    live.close();
  });

  it('publishes a NIP-11 document at the same URL, with the provenance link', async () => {
    const res = await fetch(`${srv.api.url}/relay`, { headers: { accept: 'application/nostr+json' } });
    expect(res.headers.get('content-type')).toContain('application/nostr+json');
    const doc = (await res.json()) as Record<string, never>;
    expect(doc).toMatchObject({
      software: 'bigbrotr',
      version: '9.9.9',
      supported_nips: [1, 11, 45, 77],
      limitation: {
        max_limit: 150,
        max_subscriptions: 20,
        max_message_length: 131_072,
        auth_required: false,
        restricted_writes: true,
      },
      bigbrotr: { content_kept: true, search: false, provenance: '/v1/event_relay?event_id={id}' },
    });
    const id = events[3]?.id as string;
    const prov = await fetch(`${srv.api.url}/v1/event_relay?event_id=${id}&sort=relay_url`);
    const rows = ((await prov.json()) as { data: { relay_url: string }[] }).data;
    expect(rows.map((r) => r.relay_url)).toEqual([relayA.url, relayB.url]);
  });
});

async function open(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  return ws;
}

function collect(ws: WebSocket): unknown[][] {
  const frames: unknown[][] = [];
  ws.on('message', (d) => void frames.push(JSON.parse(String(d)) as unknown[]));
  return frames;
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
