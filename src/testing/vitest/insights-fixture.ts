/** The data and the server of the insight endpoint tests (insights*.test.ts). */
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import postgres from 'postgres';
import { afterAll, beforeAll, expect } from 'vitest';
import { refreshAllStatistics } from '../../core/db/maintenance.js';
import { insertEventRelaysCascade, insertRelayMetadataCascade, insertRelays } from '../../core/db/store.js';
import type { NostrEvent } from '../../models/event.js';
import { buildMetadata, type MetadataType, type RelayMetadata } from '../../models/metadata.js';
import type { Relay, RelayUrl } from '../../models/relay.js';
import { everyInsightTable, insightRoutes } from '../../services/api/insights/insights.js';
import { generateEvents } from '../events.js';
import { recordingLogger } from '../service-deps.js';
import { useTestDatabase } from './db.js';

export const NOW = 1_700_100_000;
export const HOUR = 3_600;
export const relay = (url: string, network: Relay['network'] = 'clearnet'): Relay => ({
  url: url as RelayUrl,
  network,
  discoveredAt: 1_600_000_000,
});
export const A = relay('wss://alpha.example.com');
export const B = relay('wss://beta.example.org');
export const C = relay(`ws://${'c'.repeat(56)}.onion`, 'tor');
export const D = relay('wss://gamma.example.net');

export const doc = (relayOf: Relay, type: MetadataType, value: unknown, generatedAt: number): RelayMetadata => ({
  relay: relayOf,
  metadata: buildMetadata(type, value),
  generatedAt,
});
export const rtt = (open: number | null) =>
  open === null
    ? { data: {}, logs: { open_success: false, open_reason: 'timeout', read_success: false, write_success: false } }
    : {
        data: { rtt_open: open, rtt_read: open + 5, rtt_write: open + 9 },
        logs: { open_success: true, read_success: true, write_success: true },
      };

/** Ten hourly checks of A (all up), B up then down at the end, D up; C never checked. */
export function metadataRows(): RelayMetadata[] {
  const rows: RelayMetadata[] = [];
  for (let i = 0; i < 10; i++) {
    rows.push(doc(A, 'nip66_rtt', rtt(100 + i * 10), NOW - i * HOUR));
    rows.push(doc(B, 'nip66_rtt', rtt(i === 0 ? null : 300), NOW - i * HOUR - 60));
  }
  rows.push(doc(D, 'nip66_rtt', rtt(50), NOW - 120));
  const nip11 = (data: Record<string, unknown>) => ({ data, logs: { success: true } });
  rows.push(
    doc(
      A,
      'nip11_info',
      nip11({
        name: 'Alpha Relay',
        software: 'git+https://github.com/hoytech/strfry.git',
        version: '1.0.1',
        supported_nips: [1, 11, 42],
      }),
      NOW - 100,
    ),
    doc(
      B,
      'nip11_info',
      nip11({ name: 'Beta', software: 'nostr-rs-relay', version: '0.8.9', supported_nips: [1, 11] }),
      NOW,
    ),
    // no geo check: the country is the first two-letter code NIP-11 announces
    doc(D, 'nip11_info', nip11({ name: 'Gamma', supported_nips: [1, 'x', 2.5], relay_countries: ['*', 'jp'] }), NOW),
    doc(A, 'nip66_geo', { data: { geo_country: 'DE', geo_city: 'Berlin' }, logs: { success: true } }, NOW),
    doc(B, 'nip66_geo', { data: { geo_country: 'US' }, logs: { success: true } }, NOW),
    doc(A, 'nip66_ssl', { data: { ssl_valid: true, ssl_issuer: "Let's Encrypt" }, logs: { success: true } }, NOW),
    doc(A, 'nip66_dns', { data: { dns_ips: ['192.0.2.1'] }, logs: { success: true } }, NOW),
    doc(A, 'nip66_net', { data: { net_ip: '192.0.2.1', net_asn: 64500 }, logs: { success: true } }, NOW),
  );
  return rows;
}

// three events share each timestamp, so pagination must break ties by id
export const events: NostrEvent[] = generateEvents(30, {
  seed: 7,
  pubkeys: 3,
  kinds: [1, 7, 30023],
  createdAt: (i) => NOW - Math.floor(i / 3) * 6 * HOUR,
  tags: (i) => [
    ['t', `tag${i % 3}`],
    ['e', (i * 7919).toString(16).padStart(64, '0')],
    ['r', `https://x.example/${i % 2},${i}`],
  ],
});

export interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: test JSON
  json: any;
}

/**
 * A database of `deployment` seeded with the relays, documents and events above, and the insight endpoints
 * served over it under /v1 (pages of 2, at most 3; cached 5 s on bigbrotr), for the calling describe block.
 */
export function useInsightServer(deployment: 'bigbrotr' | 'lilbrotr') {
  const db = useTestDatabase(deployment);
  let base = '';
  let close = async (): Promise<void> => {};
  let appSql: postgres.Sql | undefined;
  const get = async (path: string): Promise<Answer> => {
    const res = await fetch(`${base}${path}`);
    return { status: res.status, json: await res.json() };
  };

  beforeAll(async () => {
    await insertRelays(db.sql, [C]);
    await insertRelayMetadataCascade(db.sql, metadataRows());
    await insertEventRelaysCascade(db.sql, [
      ...events.map((event, i) => ({ event, relay: A, seenAt: event.created_at + 10 + i })),
      ...events.filter((_, i) => i % 2 === 0).map((event) => ({ event, relay: B, seenAt: event.created_at + 5 })),
    ]);
    await refreshAllStatistics(db.sql);
    // the production pool's setting: no prepared statements (PgBouncer)
    appSql = postgres(db.url, { prepare: false, max: 4, onnotice: () => {} });
    const app = new Hono();
    app.route(
      '/v1',
      insightRoutes(
        { sql: appSql, logger: recordingLogger([]), now: () => NOW },
        {
          defaultPageSize: 2,
          maxPageSize: 3,
          cacheSeconds: deployment === 'bigbrotr' ? 5 : 0,
          tables: everyInsightTable(),
        },
      ),
    );
    const server = createAdaptorServer({ fetch: app.fetch });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((resolve) => server.close(() => resolve()));
  });
  afterAll(async () => {
    await close();
    await appSql?.end({ timeout: 5 });
  });

  const urls = async (path: string): Promise<string[]> => {
    const r = await get(path);
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    return r.json.data.map((x: { url: string }) => x.url);
  };
  return { db, get, urls, base: () => base };
}
