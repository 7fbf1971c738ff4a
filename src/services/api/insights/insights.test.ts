/**
 * The insight endpoints against real PostgreSQL on both deployments: the relay list (filters, sorting, pages,
 * caching) and one relay's detail.
 */
import { describe, expect, it } from 'vitest';
import { A, type Answer, B, C, D, HOUR, NOW, useInsightServer } from '../../../testing/vitest/insights-fixture.js';

describe.each(['bigbrotr', 'lilbrotr'] as const)('insight endpoints: relays (%s)', (deployment) => {
  const { get, urls, base } = useInsightServer(deployment);

  it('lists relays with their latest status, paginated with the total', async () => {
    const r = await get('/v1/relays?limit=3');
    expect(r.status).toBe(200);
    expect(r.json.meta).toEqual({ total: 4, limit: 3, offset: 0 });
    // URL order: 'ws://c…' sorts before 'wss://…' in both C and natural-language collations
    expect(r.json.data.map((x: { url: string }) => x.url)).toEqual([C.url, A.url, B.url]);
    expect(r.json.data[0]).toMatchObject({ url: C.url, network: 'tor', status: 'unchecked', reachable: null });
    expect(r.json.data[1]).toMatchObject({
      url: A.url,
      network: 'clearnet',
      name: 'Alpha Relay',
      software: 'git+https://github.com/hoytech/strfry.git',
      version: '1.0.1',
      supported_nips: [1, 11, 42],
      country: 'DE',
      country_source: 'geo',
      checked_at: NOW,
      status: 'online',
      reachable: true,
      rtt_open: 100,
      rtt_read: 105,
      rtt_write: 109,
      event_count: 30,
    });
    expect(r.json.data[2]).toMatchObject({ status: 'offline', reachable: false, rtt_open: null, event_count: 15 });
    const page2 = await get('/v1/relays?limit=3&offset=3');
    expect(page2.json.data).toHaveLength(1);
    expect(page2.json.data[0]).toMatchObject({
      url: D.url,
      name: 'Gamma',
      supported_nips: [1],
      software: null,
      country: 'JP',
      country_source: 'nip11',
    });
    expect((await get('/v1/relays')).json.meta).toEqual({ total: 4, limit: 2, offset: 0 });
    expect((await get('/v1/relays?limit=1000000000')).json.meta.limit).toBe(3);
    expect((await get('/v1/relays?offset=99')).json).toEqual({ data: [], meta: { total: 4, limit: 2, offset: 99 } });
    expect((await get('/v1/relays?limit=0')).json).toEqual({ data: [], meta: { total: 4, limit: 0, offset: 0 } });
  });

  it('caches relay and statistics answers for cacheSeconds (bigbrotr: 5 s, lilbrotr: off), never events', async () => {
    const relays = await fetch(`${base()}/v1/relays`);
    expect(relays.headers.get('cache-control')).toBe(deployment === 'bigbrotr' ? 'public, max-age=5' : null);
    expect(relays.headers.get('content-type')).toContain('application/json');
    const events = await fetch(`${base()}/v1/events?limit=1`);
    expect(events.headers.get('cache-control')).toBeNull();
    expect(events.headers.get('content-type')).toContain('application/json');
  });

  it('filters relays by network, NIP, software, country, status and search', async () => {
    expect(await urls('/v1/relays?network=tor')).toEqual([C.url]);
    expect(await urls('/v1/relays?nip=42')).toEqual([A.url]);
    expect(await urls('/v1/relays?nip=11&limit=3')).toEqual([A.url, B.url]);
    expect(await urls('/v1/relays?software=STRFRY')).toEqual([A.url]);
    expect(await urls('/v1/relays?country=us')).toEqual([B.url]);
    expect(await urls('/v1/relays?country=JP')).toEqual([D.url]);
    expect(await urls('/v1/relays?status=unchecked')).toEqual([C.url]);
    expect(await urls('/v1/relays?status=offline')).toEqual([B.url]);
    expect(await urls('/v1/relays?status=online')).toEqual([A.url, D.url]);
    expect(await urls('/v1/relays?q=beta')).toEqual([B.url]);
    expect(await urls('/v1/relays?q=alpha%20RELAY')).toEqual([A.url]);
    expect(await urls('/v1/relays?q=100%25')).toEqual([]);
    expect(await urls('/v1/relays?network=clearnet&nip=1&country=DE')).toEqual([A.url]);
    const r = await get('/v1/relays?network=clearnet&limit=1');
    expect(r.json.meta.total).toBe(3);
  });

  it('sorts relays by a field, either way, nulls last', async () => {
    expect(await urls('/v1/relays?sort=event_count:desc&limit=3')).toEqual([A.url, B.url, C.url]);
    expect(await urls('/v1/relays?sort=rtt_open&limit=3')).toEqual([D.url, A.url, C.url]);
    expect(await urls('/v1/relays?sort=rtt_open:desc&limit=3')).toEqual([A.url, D.url, C.url]);
    expect(await urls('/v1/relays?sort=url:desc&limit=1')).toEqual([D.url]);
    expect(await urls('/v1/relays?sort=name&limit=3')).toEqual([A.url, B.url, D.url]);
  });

  it('answers one relay: documents, uptime and latency windows, daily series, check history', async () => {
    const r = await get(`/v1/relays/${encodeURIComponent(A.url)}?limit=3`);
    expect(r.status).toBe(200);
    const d = r.json.data;
    expect(d).toMatchObject({ url: A.url, network: 'clearnet', discovered_at: 1_600_000_000 });
    expect(d.documents.nip11_info).toMatchObject({ generated_at: NOW - 100, data: { name: 'Alpha Relay' } });
    expect(d.documents.nip66_ssl.data).toEqual({ ssl_valid: true, ssl_issuer: "Let's Encrypt" });
    expect(d.documents.nip66_geo.data.geo_city).toBe('Berlin');
    expect(d.documents.nip66_net.data.net_asn).toBe(64500);
    expect(d.documents.nip66_dns.data.dns_ips).toEqual(['192.0.2.1']);
    expect(d.documents.nip66_rtt).toMatchObject({ generated_at: NOW, data: { rtt_open: 100 } });
    expect(d.health['24h']).toMatchObject({ checks: 10, uptime: 1, rtt_open_p50: 145, rtt_write_p50: 154 });
    expect(d.health['7d'].checks).toBe(10);
    expect(d.health['30d'].rtt_open_p95).toBeCloseTo(185.5);
    expect(d.daily.reduce((n: number, x: { checks: number }) => n + x.checks, 0)).toBe(10);
    expect(d.stats).toMatchObject({ event_count: 30 });
    expect(d.checks.map((x: { generated_at: number }) => x.generated_at)).toEqual([NOW, NOW - HOUR, NOW - 2 * HOUR]);
    expect(d.checks[0]).toMatchObject({
      open_success: true,
      rtt_open: 100,
      rtt_read: 105,
      rtt_write: 109,
      reason: null,
    });
    expect(r.json.meta.checks).toEqual({ limit: 3, next_before: NOW - 2 * HOUR });
    const seen: number[] = [];
    let before: number | null = null;
    do {
      const page: Answer = await get(
        `/v1/relays/${encodeURIComponent(A.url)}?limit=3${before === null ? '' : `&before=${before}`}`,
      );
      seen.push(...page.json.data.checks.map((x: { generated_at: number }) => x.generated_at));
      before = page.json.meta.checks.next_before;
    } while (before !== null);
    expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => NOW - i * HOUR));
  });

  it('finds a relay by its URL unencoded or not canonical, and says which relays do not exist', async () => {
    const plain = await get(`/v1/relays/${A.url}`);
    expect(plain.status).toBe(200);
    expect(plain.json.data.url).toBe(A.url);
    const loose = await get(`/v1/relays/${encodeURIComponent('WSS://Alpha.Example.com:443/')}`);
    expect(loose.json.data.url).toBe(A.url);
    const offline = await get(`/v1/relays/${encodeURIComponent(B.url)}?limit=1`);
    expect(offline.json.data.checks[0]).toMatchObject({ open_success: false, rtt_open: null, reason: 'timeout' });
    expect(offline.json.data.health['24h'].uptime).toBeCloseTo(0.9);
    const bare = await get(`/v1/relays/${encodeURIComponent(C.url)}`);
    expect(bare.json.data).toMatchObject({ url: C.url, documents: {}, checks: [], daily: [] });
    expect(bare.json.data.health['24h']).toMatchObject({ checks: 0, uptime: null });
    const missing = await get(`/v1/relays/${encodeURIComponent('wss://nowhere.example.com')}`);
    expect(missing.status).toBe(404);
    expect(missing.json.error.code).toBe('not_found');
  });
});
