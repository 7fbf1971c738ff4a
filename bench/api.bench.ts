/**
 * API read latency (target: p95 ≤ 50 ms): a 1,000,000-event database built with bulk INSERT … SELECT
 * generate_series (synthetic, unsigned rows: this measures reads), 300 relays with NIP-11, geo and 24 RTT checks
 * each, statistics refreshed; then the insight endpoints served by a child process (so the load generator does not
 * share its event loop) and hit by 50 concurrent clients (Node's fetch, keep-alive) for ~20 s per endpoint.
 *
 * `npm run bench -- api`. BIGBROTR_BENCH_API_SECONDS changes the duration per endpoint, BIGBROTR_BENCH_API_EVENTS
 * the event count, BIGBROTR_BENCH_API_APP=full serves through the whole API app (createApiApp: compression, ETag,
 * request deadline; rate limit off) instead of the insight routes alone.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import postgres from 'postgres';
import { refreshAllStatistics } from '../src/core/db/maintenance.js';
import { insertRelayMetadataCascade } from '../src/core/db/store.js';
import type { Logger } from '../src/core/logger.js';
import { buildMetadata, type RelayMetadata } from '../src/models/metadata.js';
import type { Relay, RelayUrl } from '../src/models/relay.js';
import { everyInsightTable, insightRoutes } from '../src/services/api/insights/insights.js';
import { withBenchDatabase } from './service-bench.js';

const SERVE = '--api-bench-server';
const RELAYS = 300;
const AUTHORS = 5_000;
const CLIENTS = 50;
const BASE_TIME = 1_760_000_000;
const SPACING = 3; // seconds between synthetic events: 1,000,000 events span ~35 days

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };
const relayUrl = (i: number): string => `wss://relay${i}.example.com`;

/** Bulk-load `total` synthetic events and their sightings (1–2 relays each); returns seconds. */
export async function loadEvents(sql: postgres.Sql, total: number): Promise<number> {
  const started = performance.now();
  await sql`INSERT INTO relay (url, network, discovered_at)
    SELECT 'wss://relay' || i || '.example.com', 'clearnet', ${BASE_TIME}::bigint FROM generate_series(0, ${RELAYS - 1}) i`;
  const chunk = 100_000;
  for (let from = 0; from < total; from += chunk) {
    const to = Math.min(total, from + chunk) - 1;
    await sql.begin(async (tx) => {
      // why: the FK checks of event_relay cost more than the rows; the data is consistent by construction
      await tx`SET LOCAL session_replication_role = replica`;
      await tx`INSERT INTO event (id, pubkey, created_at, kind, tags, tagvalues, content, sig)
        SELECT decode(md5('e' || g) || md5('f' || g), 'hex'),
          decode(md5('p' || (g % ${AUTHORS})) || md5('q' || (g % ${AUTHORS})), 'hex'),
          ${BASE_TIME}::bigint + g * ${SPACING},
          (ARRAY[1, 1, 1, 1, 1, 1, 7, 7, 6, 0])[1 + g % 10],
          jsonb_build_array(jsonb_build_array('t', 'tag' || (g % 100)), jsonb_build_array('e', md5('r' || (g / 7)) || md5('s' || (g / 7)))),
          ARRAY['t:tag' || (g % 100), 'e:' || md5('r' || (g / 7)) || md5('s' || (g / 7))],
          'synthetic event ' || g || ' ' || repeat('x', 120),
          decode(repeat(md5('g' || g), 4), 'hex')
        FROM generate_series(${from}::int, ${to}::int) g`;
      await tx`INSERT INTO event_relay (event_id, relay_url, seen_at)
        SELECT decode(md5('e' || g) || md5('f' || g), 'hex'), 'wss://relay' || (g % ${RELAYS}) || '.example.com',
          ${BASE_TIME}::bigint + g * ${SPACING} + 5
        FROM generate_series(${from}::int, ${to}::int) g
        UNION ALL
        SELECT decode(md5('e' || g) || md5('f' || g), 'hex'), 'wss://relay' || ((g * 7 + 1) % ${RELAYS}) || '.example.com',
          ${BASE_TIME}::bigint + g * ${SPACING} + 9
        FROM generate_series(${from}::int, ${to}::int) g WHERE g % 3 = 0 AND (g * 7 + 1) % ${RELAYS} <> g % ${RELAYS}`;
    });
  }
  return (performance.now() - started) / 1000;
}

/** NIP-11, geo and 24 hourly RTT checks per relay through the store (content-addressed documents). */
export async function loadMetadata(sql: postgres.Sql, now: number): Promise<number> {
  const started = performance.now();
  const software = ['strfry', 'nostr-rs-relay', 'khatru', 'nostream', 'relay.py', 'chorus'];
  const countries = ['DE', 'US', 'FR', 'JP', 'BR', 'FI', 'CA', 'NL'];
  const rows: RelayMetadata[] = [];
  for (let i = 0; i < RELAYS; i++) {
    const relay: Relay = { url: relayUrl(i) as RelayUrl, network: 'clearnet', discoveredAt: BASE_TIME };
    const nips = [1, 2, 9, 11, 40, 42, 50, 65, 77].filter((n, k) => (i + k) % 3 !== 0 || n === 1);
    const info = {
      name: `Relay ${i}`,
      software: software[i % software.length],
      version: `1.${i % 4}`,
      supported_nips: nips,
    };
    rows.push({
      relay,
      metadata: buildMetadata('nip11_info', { data: info, logs: { success: true } }),
      generatedAt: now,
    });
    const geo = { data: { geo_country: countries[i % countries.length] }, logs: { success: true } };
    rows.push({ relay, metadata: buildMetadata('nip66_geo', geo), generatedAt: now });
    for (let h = 0; h < 24; h++) {
      const up = (i + h) % 11 !== 0;
      const doc = up
        ? {
            data: { rtt_open: 50 + ((i * 13 + h * 7) % 400), rtt_read: 80 + ((i + h) % 300) },
            logs: { open_success: true, read_success: true, write_success: false },
          }
        : {
            data: {},
            logs: { open_success: false, open_reason: 'timeout', read_success: false, write_success: false },
          };
      rows.push({ relay, metadata: buildMetadata('nip66_rtt', doc), generatedAt: now - h * 3_600 });
    }
  }
  await insertRelayMetadataCascade(sql, rows, { batchSize: 2_000 });
  return (performance.now() - started) / 1000;
}

/** How the child serves: the database, the whole API app or the insight routes alone, and the cache lifetime. */
interface ServeOpts {
  readonly url: string;
  readonly full: boolean;
  readonly cacheSeconds: number;
}

/** Start the server child process; resolves with its base URL. */
export async function startServer(opts: ServeOpts): Promise<{ base: string; stop: () => Promise<void> }> {
  const script = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['--import', 'tsx', script, SERVE, JSON.stringify(opts)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const [line] = (await once(lines, 'line')) as [string];
  lines.close();
  const stop = async (): Promise<void> => {
    child.stdin?.end();
    await once(child, 'exit');
  };
  return { base: `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`, stop };
}

/** `clients` clients, each sending its next request when the previous answer is read, for `seconds`. */
export async function hammer(
  path: (i: number) => string,
  base: string,
  seconds: number,
  clients = CLIENTS,
): Promise<string> {
  const warmUntil = performance.now() + 2_000;
  const stopAt = warmUntil + seconds * 1000;
  const times: number[] = [];
  let failed = 0;
  let bytes = 0;
  let n = 0;
  const client = async (): Promise<void> => {
    while (performance.now() < stopAt) {
      const t0 = performance.now();
      const res = await fetch(`${base}${path(n++)}`);
      const body = await res.arrayBuffer();
      const t1 = performance.now();
      if (t0 < warmUntil) continue;
      if (res.status !== 200) failed += 1;
      times.push(t1 - t0);
      bytes += body.byteLength;
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  times.sort((a, b) => a - b);
  const q = (p: number): string => (times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? 0).toFixed(1);
  const rps = Math.round(times.length / seconds);
  const avgKiB = Math.round(bytes / Math.max(1, times.length) / 1024);
  return `p50 ${q(0.5)} ms, p95 ${q(0.95)} ms, p99 ${q(0.99)} ms, ${rps} req/s, ${avgKiB} KiB/answer, ${failed} failed of ${times.length}`;
}

interface Endpoint {
  readonly name: string;
  readonly path: (i: number) => string;
  /** Served from the response cache when it is on (relays, relay detail, stats). */
  readonly cached: boolean;
  /** One of the three the target names: also measured with 1 and 10 clients. */
  readonly named: boolean;
}

function endpoints(pubkeys: readonly string[]): Endpoint[] {
  const pk = (i: number): string => pubkeys[i % pubkeys.length] ?? '';
  const e = (name: string, path: (i: number) => string, cached: boolean, named = false): Endpoint => ({
    name,
    path,
    cached,
    named,
  });
  return [
    e('GET /v1/relays', () => '/v1/relays', true, true),
    e('GET /v1/relays?nip=42&sort=rtt_open', () => '/v1/relays?nip=42&sort=rtt_open', true),
    e('GET /v1/relays/<url of 300>', (i) => `/v1/relays/${encodeURIComponent(relayUrl(i % RELAYS))}`, true),
    e('GET /v1/stats', () => '/v1/stats', true),
    e('GET /v1/events?kinds=1&limit=100', () => '/v1/events?kinds=1&limit=100', false, true),
    e('GET /v1/events?authors=<one of 200>&limit=100', (i) => `/v1/events?authors=${pk(i * 7)}&limit=100`, false, true),
    e(
      'GET /v1/events?authors=<3 of 200>&kinds=1,7&limit=100',
      (i) => `/v1/events?authors=${pk(i)},${pk(i + 1)},${pk(i + 2)}&kinds=1,7&limit=100`,
      false,
    ),
    e('GET /v1/events?%23t=<tag of 100>&limit=100', (i) => `/v1/events?%23t=tag${i % 100}&limit=100`, false),
    e(
      'GET /v1/events?kinds=1&limit=100&until=<random>',
      (i) => `/v1/events?kinds=1&limit=100&until=${BASE_TIME + ((i * 7919) % 3_000_000)}`,
      false,
    ),
  ];
}

/** Run the API benchmark. */
export default async function bench(): Promise<string[]> {
  const total = Number(process.env.BIGBROTR_BENCH_API_EVENTS ?? 1_000_000);
  const seconds = Number(process.env.BIGBROTR_BENCH_API_SECONDS ?? 20);
  const full = process.env.BIGBROTR_BENCH_API_APP === 'full';
  return withBenchDatabase(`bench_api_${process.pid}`, async (sql) => {
    const now = BASE_TIME + total * SPACING;
    const eventsSec = await loadEvents(sql, total);
    const metaSec = await loadMetadata(sql, now);
    const started = performance.now();
    await sql`ANALYZE`;
    await refreshAllStatistics(sql);
    await sql`ANALYZE`;
    const refreshSec = (performance.now() - started) / 1000;
    const [counts] = await sql<{ events: number; sightings: number }[]>`SELECT
      (SELECT count(*)::int FROM event) AS events, (SELECT count(*)::int FROM event_relay) AS sightings`;
    const pubkeys = (
      await sql<{ pk: string }[]>`SELECT md5('p' || a) || md5('q' || a) AS pk FROM generate_series(0, 199) a`
    ).map((r) => r.pk);
    const o = sql.options;
    const url = `postgres://${encodeURIComponent(o.user)}:${encodeURIComponent(String(o.pass ?? ''))}@${o.host[0]}:${o.port[0]}/${o.database}`;
    const list = endpoints(pubkeys);
    const lines = [
      `database: ${counts?.events.toLocaleString('en-US')} events, ${counts?.sightings.toLocaleString('en-US')} sightings, ${RELAYS} relays × (NIP-11 + geo + 24 RTT checks); load ${eventsSec.toFixed(0)} s + metadata ${metaSec.toFixed(1)} s + ANALYZE/refresh ${refreshSec.toFixed(0)} s`,
      `server: ${full ? 'the whole API app (createApiApp, rate limit off)' : 'insight routes on @hono/node-server'} in a child process, postgres.js pool of 8 without prepared statements; Node fetch clients in this process; ${seconds} s per line after 2 s warm-up`,
      '',
      'response cache off (cacheSeconds: 0):',
    ];
    const plain = await startServer({ url, full, cacheSeconds: 0 });
    try {
      for (const ep of list)
        lines.push(`  ${ep.name}, ${CLIENTS} clients: ${await hammer(ep.path, plain.base, seconds)}`);
      for (const ep of list.filter((x) => x.named))
        for (const clients of [1, 10])
          lines.push(`  ${ep.name}, ${clients} client(s): ${await hammer(ep.path, plain.base, seconds / 2, clients)}`);
    } finally {
      await plain.stop();
    }
    lines.push('', 'response cache 5 s (the default) for relays, relay detail and stats:');
    const cached = await startServer({ url, full, cacheSeconds: 5 });
    try {
      for (const ep of list.filter((x) => x.cached))
        lines.push(`  ${ep.name}, ${CLIENTS} clients: ${await hammer(ep.path, cached.base, seconds)}`);
    } finally {
      await cached.stop();
    }
    return lines;
  });
}

/** The server side, run as `node --import tsx bench/api.bench.ts --api-bench-server '{"url": …}'`. */
async function serve(opts: ServeOpts): Promise<void> {
  const sql = postgres(opts.url, { prepare: false, max: 8, onnotice: () => {} });
  const page = {
    defaultPageSize: 100,
    maxPageSize: 1000,
    cacheSeconds: opts.cacheSeconds,
    tables: everyInsightTable(),
  };
  let app: Hono;
  if (opts.full) {
    const { createApiApp } = await import('../src/services/api/app.js');
    const { apiConfigSchema } = await import('../src/services/api/config.js');
    const metrics = { setGauge() {}, inc() {}, observeCycle() {} };
    const config = apiConfigSchema.parse({});
    app = createApiApp({ sql, logger: silent, metrics, rateLimit: false }, config, {
      mount: (a) => void a.route('/v1', insightRoutes({ sql, logger: silent }, page)),
    }) as unknown as Hono;
  } else {
    app = new Hono();
    app.route('/v1', insightRoutes({ sql, logger: silent }, page));
  }
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
  });
  process.stdin.resume();
  process.stdin.on('end', () => {
    server.closeAllConnections();
    server.close(() => void sql.end({ timeout: 2 }).then(() => process.exit(0)));
  });
}

if (process.argv[2] === SERVE) await serve(JSON.parse(process.argv[3] ?? '{}') as ServeOpts);
