import type { Relay } from 'nostr-tools/relay';
import { afterAll, beforeAll, expect } from 'vitest';
import WebSocket from 'ws';
import { insertEventRelaysCascade } from '../../core/db/store.js';
import type { NostrEvent } from '../../models/event.js';
import type { RelayUrl } from '../../models/relay.js';
import { type Filter, matchFilters } from '../../nips/nip01/filter.js';
import { type ArchiveApi, connectTools, nip01Order, startArchiveApi } from '../archive-relay.js';
import { generateEvents } from '../events.js';
import { type TestDb, useTestDatabase } from './db.js';

/** The file's database (set by useArchiveRelay). */
export let db: TestDb;
export const T0 = 1_700_000_000;
export const relayA = { url: 'wss://a.example.com' as RelayUrl, network: 'clearnet' as const, discoveredAt: 1 };
export const relayB = { url: 'wss://b.example.com' as RelayUrl, network: 'clearnet' as const, discoveredAt: 1 };
export const hex = (n: number) => n.toString(16).padStart(64, '0');

// 400 events: 3 kinds, 6 authors, e/p tags and a multi-letter tag, 40 pairs sharing a second (NIP-01 tie-break)
export const events: NostrEvent[] = generateEvents(400, {
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
export const all = [...events].sort(nip01Order);
export let srv: ArchiveApi;
export let tools: Relay;

/**
 * Register the hooks of a relay endpoint test file: 400 events archived as seen on one relay (the first 50 on a
 * second), the API serving the archive as a relay (max_limit 150, NIP-77 up to 1,000 records) and a client.
 */
export function useArchiveRelay(): void {
  db = useTestDatabase('bigbrotr');
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
}

/** The same query through the REST API (`/v1/events`, ties by id descending there): the ids, in NIP-01 order. */
export async function restIds(query: string): Promise<string[]> {
  const res = await fetch(`${srv.api.url}/v1/events?${query}`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { data: { event: NostrEvent }[] };
  return body.data
    .map((d) => d.event)
    .sort(nip01Order)
    .map((e) => e.id);
}

/** The expected answer from the events themselves. */
export const truth = (f: Filter, limit = 150): string[] =>
  all
    .filter((e) => matchFilters([f], e))
    .slice(0, Math.min(f.limit ?? limit, limit))
    .map((e) => e.id);

export async function open(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  return ws;
}

export function collect(ws: WebSocket): unknown[][] {
  const frames: unknown[][] = [];
  ws.on('message', (d) => void frames.push(JSON.parse(String(d)) as unknown[]));
  return frames;
}

export async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
