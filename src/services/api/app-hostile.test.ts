import { describe, expect, it } from 'vitest';
import { db, deps, events, get, SECRET, secretDoc, useApiApp } from '../../testing/vitest/api-app.js';

useApiApp();

describe('hostile input: always a 4xx JSON error, never a row of a disabled table', () => {
  const id = events[0]?.id as string;
  const cases: [string, number, string][] = [
    ['/v1/metadata', 404, 'unknown_table'],
    ['/v1/relay_metadata?limit=1', 404, 'unknown_table'],
    [`/v1/metadata/${secretDoc.id}/nip11_info`, 404, 'unknown_table'],
    ['/v1/event;DROP%20TABLE%20event', 404, 'unknown_table'],
    ['/v1/event%22%20--', 404, 'unknown_table'],
    ['/v1/pg_catalog.pg_authid', 404, 'unknown_table'],
    ['/v1/public.metadata', 404, 'unknown_table'],
    ['/v1/..%2Fmetadata', 404, 'unknown_table'],
    ['/v1/event%00', 404, 'unknown_table'],
    ['/v1/%E0%A4%A', 400, 'invalid_path'],
    ['/v1/event?offset=1000000000000', 400, 'invalid_offset'],
    ['/v1/event?offset=-5', 400, 'invalid_offset'],
    ['/v1/event?limit=-1', 400, 'invalid_limit'],
    ['/v1/event?limit=1e3', 400, 'invalid_limit'],
    ['/v1/event?limit=abc', 400, 'invalid_limit'],
    ['/v1/event?limit=', 400, 'invalid_limit'],
    ['/v1/event?limit=1&limit=2', 400, 'repeated_parameter'],
    ['/v1/event?kind=1&kind=7', 400, 'repeated_parameter'],
    ['/v1/event?sort=kind&sort=id', 400, 'repeated_parameter'],
    ['/v1/event?kind=ILIKE:%251%25', 400, 'invalid_operator'],
    ['/v1/event?id=ILIKE:ab', 400, 'invalid_operator'],
    ['/v1/event?kind=abc', 400, 'invalid_value'],
    ['/v1/event?kind=1%20OR%201%3D1', 400, 'invalid_value'],
    ['/v1/event?kind=DROP:1', 400, 'invalid_value'],
    ['/v1/event?created_at=99999999999999999999', 400, 'invalid_value'],
    ['/v1/event?created_at=1e5', 400, 'invalid_value'],
    ['/v1/event?id=zz', 400, 'invalid_value'],
    ['/v1/event?id=abc', 400, 'invalid_value'],
    ["/v1/event?id=00'%20OR%20'1'='1", 400, 'invalid_value'],
    ['/v1/event?tags=%7Bbad', 400, 'invalid_value'],
    ['/v1/typed_view?ts=not-a-date', 400, 'invalid_value'],
    ['/v1/typed_view?flag=maybe', 400, 'invalid_value'],
    ['/v1/event?tagvalues=>:x', 400, 'invalid_operator'],
    ['/v1/event?nope=1', 400, 'unknown_column'],
    ['/v1/event?id%22%3B%20DROP%20TABLE%20event%3B--=1', 400, 'unknown_column'],
    ['/v1/event?sort=kind;DROP%20TABLE%20event', 400, 'unknown_column'],
    ['/v1/event?sort=kind:sideways', 400, 'invalid_sort'],
    ['/v1/event?sort=kind:desc:x', 400, 'invalid_sort'],
    ['/v1/event?sort=nope', 400, 'unknown_column'],
    ['/v1/event/zz', 400, 'invalid_value'],
    [`/v1/event/${id}/extra`, 400, 'invalid_key'],
    [`/v1/event_relay/${id}`, 400, 'invalid_key'],
    [`/v1/event/${id}?x=1&x=2`, 400, 'repeated_parameter'],
    ["/v1/relay/'%20OR%201=1--", 404, 'not_found'],
    ['/v1/relay/>=:a', 404, 'not_found'],
    [`/v1/event/${'0'.repeat(64)}`, 404, 'not_found'],
    ['/v1/slow_view/1', 404, 'no_primary_key'],
    ['/v1/schema/event%27%20OR%201=1', 404, 'unknown_table'],
    ['/v2/event', 404, 'not_found'],
  ];
  it.each(cases)('%s → %i %s', async (path, status, code) => {
    const r = await get(path);
    expect(r.status).toBe(status);
    expect(r.headers.get('content-type')).toMatch(/application\/json/);
    expect(r.json.error).toEqual({ code, message: expect.any(String) });
    expect(r.text).not.toContain(SECRET);
  });

  it('injection attempts in values are just values', async () => {
    for (const q of ["url='%20OR%20'1'='1", 'network=ILIKE:%25%27%20OR%201=1--', 'url=wss://a.example.com%27;--']) {
      const r = await get(`/v1/relay?${q}`);
      expect(r.status).toBe(200);
      expect(r.json.data).toEqual([]);
    }
  });

  it('writes are refused', async () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const r = await get('/v1/event', { method, body: '{}' });
      expect(r.status).toBe(405);
      expect(r.json.error.code).toBe('method_not_allowed');
    }
    expect((await db.sql`SELECT count(*)::int AS n FROM event`)[0]?.n).toBe(25);
  });

  it('no client mistake was logged as a failure', () => {
    expect(deps.logs.filter((l) => l.level === 'error')).toEqual([]);
    expect(deps.counters.get('requests_rejected')).toBeGreaterThan(40);
  });
});

describe('HTTP behaviour', () => {
  it('ETag and If-None-Match → 304', async () => {
    const first = await get('/v1/event?limit=2');
    const tag = first.headers.get('etag');
    expect(tag).toMatch(/^W\/"/);
    const again = await get('/v1/event?limit=2', { headers: { 'If-None-Match': tag as string } });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    const other = await get('/v1/event?limit=3', { headers: { 'If-None-Match': tag as string } });
    expect(other.status).toBe(200);
    const schema = await get('/v1/schema');
    const cached = await get('/v1/schema', { headers: { 'If-None-Match': schema.headers.get('etag') as string } });
    expect(cached.status).toBe(304);
  });

  it('CORS for the configured origins only', async () => {
    const ok = await get('/v1/schema', { headers: { Origin: 'https://example.org' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://example.org');
    const other = await get('/v1/schema', { headers: { Origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await get('/v1/event', {
      method: 'OPTIONS',
      headers: { Origin: 'https://example.org', 'Access-Control-Request-Method': 'GET' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('GET');
  });

  it('HEAD answers like GET without a body', async () => {
    const r = await get('/v1/event?limit=1', { method: 'HEAD' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/application\/json/);
    expect(r.text).toBe('');
  });

  it('compresses large answers', async () => {
    const r = await get('/v1/event?limit=10', { headers: { 'Accept-Encoding': 'gzip' } });
    expect(r.headers.get('content-encoding')).toBe('gzip');
    expect(r.json.data).toHaveLength(10);
  });

  it('a slow query is cancelled and answered 504', async () => {
    const before = deps.counters.get('requests_failed') ?? 0;
    const r = await get('/v1/slow_view');
    expect(r.status).toBe(504);
    expect(r.json.error.code).toBe('timeout');
    expect(deps.counters.get('requests_failed')).toBe(before + 1);
    const running = await db.sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE '%slow_view%'
      AND state = 'active' AND pid <> pg_backend_pid()`;
    expect(running[0]?.n).toBe(0);
  });
});

describe('OpenAPI and docs', () => {
  it('describes the served tables', async () => {
    const r = await get('/v1/openapi.json');
    expect(r.json.openapi).toBe('3.1.0');
    const paths = Object.keys(r.json.paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/health',
        '/v1/schema',
        '/v1/event',
        '/v1/event/{id}',
        '/v1/event_relay/{event_id}/{relay_url}',
      ]),
    );
    expect(paths.some((p) => p.includes('metadata'))).toBe(false);
    expect(r.json.paths['/v1/relays'].get.summary).toBe('relays with their latest status');
    const params = r.json.paths['/v1/event'].get.parameters.map((p: { name: string }) => p.name);
    expect(params).toEqual(expect.arrayContaining(['limit', 'offset', 'sort', 'id', 'kind', 'tagvalues']));
    expect(r.json.components.schemas.row_event.properties.id).toMatchObject({ type: 'string' });
  });

  it('serves Swagger UI from the local package', async () => {
    const page = await get('/docs');
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.text).toContain('/docs/swagger-ui-bundle.js');
    const init = await get('/docs/init.js');
    expect(init.text).toContain('"/v1/openapi.json"');
    const bundle = await get('/docs/swagger-ui-bundle.js');
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toMatch(/javascript/);
    expect(bundle.text.length).toBeGreaterThan(100_000);
    expect((await get('/docs/package.json')).status).toBe(404);
    expect((await get('/docs/..%2F..%2Fpackage.json')).status).toBe(404);
  });
});
