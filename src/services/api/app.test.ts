/**
 * The table API's routes over a real database: health, schema, pages, sorting and filters, bytea as hex, and
 * mounted routes winning over the generic one.
 */
import { describe, expect, it } from 'vitest';
import { deps, events, get, relayA, useApiApp } from '../../testing/vitest/api-app.js';

useApiApp();

describe('routes', () => {
  it('GET /health', async () => {
    const r = await get('/health');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ status: 'ok', database: 'ok' });
  });

  it('GET {prefix}/schema lists the served tables only', async () => {
    const r = await get('/v1/schema');
    expect(r.json.data.map((t: { name: string }) => t.name)).toEqual([
      'event',
      'event_relay',
      'relay',
      'relay_stats',
      'slow_view',
      'typed_view',
    ]);
    expect(deps.logs.some((l) => l.message === 'tables_reserved')).toBe(true);
    expect(deps.gauges.get('tables_exposed')).toBe(6);
  });

  it('GET {prefix}/schema/{table}', async () => {
    const r = await get('/v1/schema/event_relay');
    expect(r.json.data).toMatchObject({ name: 'event_relay', kind: 'table', primary_key: ['event_id', 'relay_url'] });
    expect(r.json.data.columns[0]).toEqual({ name: 'event_id', type: 'bytea', nullable: false });
    expect((await get('/v1/schema/metadata')).status).toBe(404);
  });

  it('GET {prefix}/{table} pages, sorts and filters', async () => {
    const r = await get('/v1/event?sort=created_at:desc&kind=7');
    expect(r.status).toBe(200);
    expect(r.json.meta).toEqual({ total: 12, limit: 4, offset: 0, table: 'event', total_exact: true });
    const kind7 = events.filter((e) => e.kind === 7).sort((a, b) => b.created_at - a.created_at);
    expect(r.json.data.map((e: { id: string }) => e.id)).toEqual(kind7.slice(0, 4).map((e) => e.id));
    const clamped = await get('/v1/event?limit=1000000000&offset=3');
    expect(clamped.json.meta).toMatchObject({ limit: 10, offset: 3, total: 25 });
    expect(clamped.json.data).toHaveLength(10);
  });

  it('bytea is hex both ways: filter by event id, fetch by key', async () => {
    const e = events[3] as (typeof events)[number];
    const byFilter = await get(`/v1/event?id=${e.id}`);
    expect(byFilter.json.data).toEqual([{ ...e, tagvalues: ['t:tag3'] }]);
    const byKey = await get(`/v1/event/${e.id.toUpperCase()}`);
    expect(byKey.json).toEqual({ data: { ...e, tagvalues: ['t:tag3'] } });
    const composite = await get(`/v1/event_relay/${e.id}/${encodeURIComponent(relayA.url)}`);
    expect(composite.json.data).toEqual({ event_id: e.id, relay_url: relayA.url, seen_at: 1003 });
    const relay = await get(`/v1/relay/${encodeURIComponent(relayA.url)}`);
    expect(relay.json.data).toEqual({ url: relayA.url, network: 'clearnet', discovered_at: 5 });
  });

  it('text-array filter, ILIKE on text, numeric and boolean values', async () => {
    expect((await get('/v1/event?tagvalues=t:tag2')).json.meta.total).toBe(5);
    expect((await get('/v1/relay?url=ILIKE:%25A.EXAMPLE%25')).json.data).toHaveLength(1);
    const typed = await get(`/v1/typed_view?x=>=:1.5&flag=true&ts=<:2999-01-01&j=${encodeURIComponent('{"a":[1]}')}`);
    expect(typed.json.data).toEqual([{ ts: expect.any(String), x: 1.5, flag: true, j: { a: [1] } }]);
    expect((await get('/v1/typed_view?flag=false')).json.data).toEqual([]);
    expect((await get('/v1/typed_view?ts=>:2999-01-01T00:00:00Z')).json.data).toEqual([]);
    const tags = await get(`/v1/event?tags=${encodeURIComponent('[["t","tag2"]]')}`);
    expect(tags.json.meta.total).toBe(5);
  });

  it('mounted routes win over the generic route and their names are reserved', async () => {
    expect((await get('/v1/stats')).json).toEqual({ mounted: 'stats' });
    expect((await get('/v1/relays')).json).toEqual({ mounted: 'relays' });
    expect((await get('/v1/stats/1')).status).toBe(404);
  });
});
