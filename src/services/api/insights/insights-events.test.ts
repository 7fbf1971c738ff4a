/**
 * The insight endpoints against real PostgreSQL on both deployments: network statistics and the event search
 * (kinds, authors, ids, tags, time, the cursor).
 */
import { describe, expect, it } from 'vitest';
import type { NostrEvent } from '../../../models/event.js';
import { A, type Answer, B, events, HOUR, NOW, useInsightServer } from '../../../testing/vitest/insights-fixture.js';
import { EVENT_STATS_FIELDS } from './stats.js';

describe.each(['bigbrotr', 'lilbrotr'] as const)('insight endpoints: statistics and events (%s)', (deployment) => {
  const { get } = useInsightServer(deployment);

  it('answers network statistics', async () => {
    const r = await get('/v1/stats?days=7');
    expect(r.status).toBe(200);
    const s = r.json.data;
    expect(s.relays).toMatchObject({ total: 4, online: 2, offline: 1, unchecked: 1, with_nip11: 3 });
    expect(s.relays.by_network).toEqual([
      { network: 'clearnet', relays: 3, online: 2, offline: 1, unchecked: 0, event_count: 30 },
      { network: 'tor', relays: 1, online: 0, offline: 0, unchecked: 1, event_count: 0 },
    ]);
    expect(s.events).toMatchObject({
      event_count: 30,
      unique_pubkeys: 3,
      unique_kinds: 3,
      addressable_event_count: 10,
    });
    expect(Object.keys(s.events)).toEqual([...EVENT_STATS_FIELDS]);
    expect(s.events_per_day).toHaveLength(7);
    expect(s.events_per_day.at(-1).day).toBe(new Date(NOW * 1000).toISOString().slice(0, 10));
    const inWindow = events.filter((e) => e.created_at >= Date.parse(`${s.events_per_day[0].day}T00:00:00Z`) / 1000);
    expect(s.events_per_day.reduce((n: number, d: { event_count: number }) => n + d.event_count, 0)).toBe(
      inWindow.length,
    );
    expect(s.software).toEqual([
      { software: 'git+https://github.com/hoytech/strfry.git', relays: 1, share: 0.333 },
      { software: 'nostr-rs-relay', relays: 1, share: 0.333 },
    ]);
    expect(s.nips).toEqual([
      { nip: 1, relays: 3, share: 1 },
      { nip: 11, relays: 2, share: 0.667 },
      { nip: 42, relays: 1, share: 0.333 },
    ]);
    expect(s.countries).toEqual([
      { country: 'DE', relays: 1 },
      { country: 'JP', relays: 1 },
      { country: 'US', relays: 1 },
    ]);
    expect((await get('/v1/stats')).json.data.events_per_day).toHaveLength(30);
  });

  const byNewest = (a: NostrEvent, b: NostrEvent): number =>
    b.created_at - a.created_at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
  const ids = (r: Answer): string[] => r.json.data.map((x: { event: { id: string } }) => x.event.id);

  it('answers events by kinds, authors and ids, as NIP-01 JSON with the relays that served them', async () => {
    const r = await get('/v1/events?kinds=1&limit=3');
    expect(r.status).toBe(200);
    const want = events.filter((e) => e.kind === 1).sort(byNewest);
    expect(ids(r)).toEqual(want.slice(0, 3).map((e) => e.id));
    const first = r.json.data[0];
    const original = want[0] as NostrEvent;
    expect(first.event).toMatchObject({
      id: original.id,
      pubkey: original.pubkey,
      created_at: original.created_at,
      kind: 1,
    });
    if (deployment === 'bigbrotr') {
      expect(first.event).toEqual(original);
    } else {
      expect(first.event).toMatchObject({ tags: null, content: null, sig: null });
    }
    const index = events.indexOf(original);
    expect(first.seen_on.map((s: { relay: string }) => s.relay)).toEqual(index % 2 === 0 ? [B.url, A.url] : [A.url]);
    expect(r.json.meta).toMatchObject({ limit: 3, count: 3 });
    const author = events[1]?.pubkey ?? '';
    const byAuthor = await get(`/v1/events?authors=${author.toUpperCase()}&kinds=7,30023&limit=3`);
    expect(ids(byAuthor)).toEqual(
      events
        .filter((e) => e.pubkey === author && e.kind !== 1)
        .sort(byNewest)
        .slice(0, 3)
        .map((e) => e.id),
    );
    const two = [events[4], events[20]].map((e) => e?.id ?? '');
    const byId = await get(`/v1/events?ids=${two.join(',')}`);
    expect(ids(byId).sort()).toEqual([...two].sort());
  });

  it('filters events by tags (GIN on tagvalues) and by time', async () => {
    const t1 = await get('/v1/events?%23t=tag1&limit=3');
    expect(ids(t1)).toEqual(
      events
        .filter((e) => e.tags[0]?.[1] === 'tag1')
        .sort(byNewest)
        .slice(0, 3)
        .map((e) => e.id),
    );
    const eValue = (5 * 7919).toString(16).padStart(64, '0');
    expect(ids(await get(`/v1/events?%23e=${eValue},${'f'.repeat(64)}`))).toEqual([events[5]?.id]);
    const rValue = encodeURIComponent(JSON.stringify(['https://x.example/1,7']));
    expect(ids(await get(`/v1/events?%23r=${rValue}`))).toEqual([events[7]?.id]);
    expect(ids(await get(`/v1/events?%23t=tag1&%23e=${eValue}`))).toEqual([]);
    const from = NOW - 12 * HOUR;
    const until = NOW - 6 * HOUR;
    const window = await get(`/v1/events?since=${from}&until=${until}&limit=3`);
    expect(ids(window)).toEqual(
      events
        .filter((e) => e.created_at >= from && e.created_at <= until)
        .sort(byNewest)
        .slice(0, 3)
        .map((e) => e.id),
    );
    expect(ids(await get('/v1/events?kinds=1&limit=0'))).toEqual([]);
  });

  it.each([
    ['every event', ''],
    ['two kinds', 'kinds=1,7&'],
    ['an author', `authors=${events[0]?.pubkey}&`],
    ['a tag', '%23t=tag2&'],
  ])('pages through %s with until + before_id, newest first, ties broken by id', async (_name, filter) => {
    const got: string[] = [];
    let cursor = '';
    for (let pages = 0; pages < 40; pages++) {
      const r = await get(`/v1/events?${filter}limit=2${cursor}`);
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      got.push(...ids(r));
      const next = r.json.meta.next;
      if (next === null) break;
      cursor = `&until=${next.until}&before_id=${next.before_id}`;
    }
    const all = await get(`/v1/events?${filter}limit=3`);
    expect(got.slice(0, 3)).toEqual(ids(all));
    expect(new Set(got).size).toBe(got.length);
    const kinds = filter.includes('kinds') ? [1, 7] : undefined;
    const want = events
      .filter((e) => !kinds || kinds.includes(e.kind))
      .filter((e) => !filter.includes('authors') || e.pubkey === events[0]?.pubkey)
      .filter((e) => !filter.includes('tag2') || e.tags[0]?.[1] === 'tag2')
      .sort(byNewest)
      .map((e) => e.id);
    expect(got).toEqual(want);
  });
});
