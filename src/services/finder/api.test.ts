import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { getServiceState } from '../../core/db/store.js';
import { recordingDeps } from '../../testing/service-deps.js';
import { useTestDatabase } from '../../testing/vitest/db.js';
import { finderConfigSchema } from './config.js';
import { createFinder } from './finder.js';

const db = useTestDatabase('bigbrotr');
const signal = () => new AbortController().signal;
const hits = new Map<string, number>();
type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const json =
  (body: unknown): Handler =>
  (_q, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
  };
const routes: Record<string, Handler> = {
  '/flat': json(['wss://a.example.com', 'bad url', 42]),
  '/nested': json({ data: { relays: [{ url: 'wss://n1.example.com' }, { url: 'ws://n2.example.com/' }, { id: 3 }] } }),
  '/status500': (_q, res) => {
    res.statusCode = 500;
    res.end('["wss://never.example.com"]');
  },
  '/notjson': (_q, res) => res.end('["wss://broken.example.com"'),
  '/object': json({ relays: 'wss://obj.example.com' }),
  '/object2': json({ relays: 'wss://obj.example.com' }),
  '/huge': json(Array.from({ length: 2000 }, (_, i) => `wss://r${i}.huge.example.com`)),
  '/slow': (_q, res) => {
    setTimeout(() => json(['wss://slow.example.com'])(_q, res), 1500);
  },
};
const server = createServer((req, res) => {
  const path = req.url ?? '';
  hits.set(path, (hits.get(path) ?? 0) + 1);
  const route = routes[path];
  if (route) route(req, res);
  else {
    res.statusCode = 404;
    res.end();
  }
});
let base = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(async () => {
  hits.clear();
  await db.sql`DELETE FROM service_state`;
});

const config = (sources: Record<string, unknown>[], api: Record<string, unknown> = {}) =>
  finderConfigSchema.parse({
    api: { request_delay: 0, cooldown: 3600, ...api, sources },
    events: { enabled: false },
  });
const candidates = async () =>
  (
    await db.sql<{ state_key: string }[]>`
    SELECT state_key FROM service_state WHERE service_name = 'validator' ORDER BY state_key`
  ).map((r) => r.state_key);
const checkpoints = async () => (await getServiceState(db.sql, 'finder', 'checkpoint')).map((s) => s.stateKey);

describe('finder API phase', () => {
  it('stores valid URLs, counts invalid and non-string items, records the checkpoint', async () => {
    const deps = { ...recordingDeps(db.sql, { now: () => 1_000_000 }), allowLocal: true };
    await createFinder(deps, config([{ url: `${base}/flat` }])).cycle(signal());
    expect(await candidates()).toEqual(['wss://a.example.com']);
    expect(deps.gauges.get('total_sources')).toBe(1);
    expect(deps.gauges.get('sources_fetched')).toBe(1);
    expect(deps.gauges.get('candidates_found_from_api')).toBe(1);
    expect(deps.gauges.get('api_invalid_urls')).toBe(1);
    expect(deps.gauges.get('api_non_string_items')).toBe(1);
    const [cp] = await getServiceState(db.sql, 'finder', 'checkpoint', `${base}/flat`);
    expect(cp?.stateValue).toEqual({ timestamp: 1_000_000 });
  });

  it('applies a nested JMESPath expression', async () => {
    const deps = { ...recordingDeps(db.sql), allowLocal: true };
    await createFinder(deps, config([{ url: `${base}/nested`, expression: 'data.relays[*].url' }])).cycle(signal());
    expect(await candidates()).toEqual(['wss://n1.example.com', 'wss://n2.example.com']);
  });

  it('respects the cooldown and fetches again once it has passed', async () => {
    let now = 1_000_000;
    const deps = { ...recordingDeps(db.sql, { now: () => now }), allowLocal: true };
    const finder = createFinder(deps, config([{ url: `${base}/flat` }, { url: `${base}/nested`, enabled: false }]));
    await finder.cycle(signal());
    now += 3599;
    await finder.cycle(signal());
    expect(hits.get('/flat')).toBe(1);
    expect(hits.get('/nested')).toBeUndefined();
    expect(deps.gauges.get('sources_fetched')).toBe(0);
    now += 1;
    await finder.cycle(signal());
    expect(hits.get('/flat')).toBe(2);
  });

  it('leaves no checkpoint when a source fails', async () => {
    const deps = { ...recordingDeps(db.sql), allowLocal: true };
    const sources = [
      { url: `${base}/status500` },
      { url: `${base}/notjson` },
      { url: `${base}/object`, expression: 'relays' },
      { url: `${base}/object2`, expression: 'abs(relays)' },
      { url: `${base}/huge` },
      { url: `${base}/slow`, timeout: 0.3, connect_timeout: 0.3 },
    ];
    await createFinder(deps, config(sources, { max_response_size: 1024 })).cycle(signal());
    expect(await checkpoints()).toEqual([]);
    expect(await candidates()).toEqual([]);
    expect(deps.gauges.get('sources_failed')).toBe(6);
    const reasons = deps.logs.filter((l) => l.message === 'source_failed').map((l) => l.fields.reason);
    expect(reasons).toEqual(['http', 'invalid-json', 'not-a-list', 'expression', 'too-large', 'timeout']);
  });

  it('refuses local sources unless allowed', async () => {
    const deps = recordingDeps(db.sql);
    await createFinder(deps, config([{ url: `${base}/flat` }])).cycle(signal());
    expect(hits.size).toBe(0);
    expect(deps.logs.find((l) => l.message === 'source_failed')?.fields.reason).toBe('refused');
  });

  it('waits request_delay between sources and stops waiting when the cycle is aborted', async () => {
    const deps = { ...recordingDeps(db.sql), allowLocal: true };
    const ctl = new AbortController();
    const finder = createFinder(
      deps,
      config([{ url: `${base}/flat` }, { url: `${base}/nested`, expression: 'data.relays[*].url' }], {
        request_delay: 30,
      }),
    );
    const started = Date.now();
    const run = finder.cycle(ctl.signal);
    setTimeout(() => ctl.abort(), 300);
    await run;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(hits.get('/flat')).toBe(1);
    expect(hits.get('/nested')).toBeUndefined();
  });

  it('rejects an expression that does not compile, naming the source', () => {
    const deps = recordingDeps(db.sql);
    expect(() => createFinder(deps, config([{ url: 'https://bad.example.com/x', expression: '[*' }]))).toThrow(
      /bad\.example\.com/,
    );
  });
});
