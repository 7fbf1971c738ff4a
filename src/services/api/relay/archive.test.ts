import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { insertEventRelaysCascade, insertRelays } from '../../../core/db/store.js';
import type { NostrEvent } from '../../../models/event.js';
import type { RelayUrl } from '../../../models/relay.js';
import { connectTools, startArchiveApi } from '../../../testing/archive-relay.js';
import { generateEvents } from '../../../testing/events.js';
import { recordingDeps } from '../../../testing/service-deps.js';
import { useTestDatabase } from '../../../testing/vitest/db.js';
import { useVerifierPool } from '../../../testing/vitest/verifier-pool.js';
import { synchronizerConfigSchema } from '../../synchronizer/config.js';
import { createSynchronizer } from '../../synchronizer/synchronizer.js';

const archiveA = useTestDatabase('bigbrotr');
const archiveB = useTestDatabase('bigbrotr');
const lil = useTestDatabase('lilbrotr');
const NOW = 1_700_100_000;
const source = { url: 'wss://source.example.com' as RelayUrl, network: 'clearnet' as const, discoveredAt: 1 };
// two days of history and a dense second (300 events, more than a REQ's limit): the synchronizer reconciles it with NIP-77
const events: NostrEvent[] = [
  ...generateEvents(400, { seed: 5, kinds: [1, 7], createdAt: (i) => NOW - 2 * 86_400 + i * 331 }),
  ...generateEvents(300, { seed: 6, kinds: [1], createdAt: () => NOW - 5_000 }),
];
const pool = useVerifierPool();

const ids = async (sql: typeof archiveA.sql): Promise<Set<string>> =>
  new Set((await sql`SELECT encode(id, 'hex') AS id FROM event`).map((r) => String(r.id)));

describe('archive from archive', () => {
  it("archive B synchronizes from archive A's relay endpoint with NIP-77 and ends with the same events", {
    timeout: 120_000,
  }, async () => {
    // A holds two thirds of the history when B first synchronizes from it; then A archives the rest (late
    // arrivals inside windows B has already walked) and B, asked to walk again, reconciles with NIP-77
    const first = events.filter((_, i) => i % 3 !== 0);
    const late = events.filter((_, i) => i % 3 === 0);
    await insertEventRelaysCascade(
      archiveA.sql,
      first.map((event) => ({ event, relay: source, seenAt: NOW - 10 })),
    );
    await using a = await startArchiveApi(archiveA.sql, { max_limit: 100 });
    await insertRelays(archiveB.sql, [{ url: a.relayUrl as RelayUrl, network: 'local', discoveredAt: 1 }]);
    const config = synchronizerConfigSchema.parse({
      networks: { clearnet: { enabled: false }, local: { enabled: true, timeout: 30 } },
      processing: { limit: 100, end_lag: 0, batch_size: 100, since: NOW - 3 * 86_400, allow_insecure: true },
      timeouts: { idle: 30 },
    });
    const sync = async () => {
      const deps = { ...recordingDeps(archiveB.sql, { now: () => NOW }), pool: pool() };
      await createSynchronizer(deps, config).cycle(new AbortController().signal);
      return deps;
    };
    await sync();
    expect(await ids(archiveB.sql)).toEqual(await ids(archiveA.sql));
    await insertEventRelaysCascade(
      archiveA.sql,
      late.map((event) => ({ event, relay: source, seenAt: NOW - 5 })),
    );
    await archiveB.sql`DELETE FROM service_state WHERE state_type = 'cursor'`;
    const second = await sync();
    expect(await ids(archiveB.sql)).toEqual(await ids(archiveA.sql));
    expect((await ids(archiveB.sql)).size).toBe(events.length);
    // only the late events crossed the wire as events; the ones B held were reconciled away
    expect(second.counters.get('negentropy_windows') ?? 0).toBeGreaterThan(0);
    expect(second.counters.get('negentropy_events_fetched')).toBe(late.length);
    expect(second.counters.get('negentropy_events_skipped')).toBe(first.length);
    expect(a.deps.counters.get('relay_negentropy_sessions') ?? 0).toBeGreaterThan(0);
    // B's provenance names A's endpoint as the relay that served the events
    const [row] = await archiveB.sql`SELECT count(*)::int AS n FROM event_relay WHERE relay_url = ${a.relayUrl}`;
    expect(row?.n).toBe(events.length);
  });
});

describe('back-pressure', () => {
  it('drops a client that does not read, with the server buffer bounded, and keeps serving others', async () => {
    const big = generateEvents(1200, { seed: 8, kinds: [9999], contentSize: 16_000 });
    await insertEventRelaysCascade(
      archiveA.sql,
      big.map((event) => ({ event, relay: source, seenAt: NOW })),
    );
    const bound = 64 * 1024;
    await using a = await startArchiveApi(archiveA.sql, {
      max_limit: 5000,
      max_buffered_bytes: bound,
      slow_client_timeout: 0.5,
    });
    const ws = new WebSocket(a.relayUrl);
    await new Promise((r) => ws.once('open', r));
    const socket = (ws as unknown as { _socket: import('node:net').Socket })._socket;
    socket.pause(); // reads nothing from now on
    ws.send(JSON.stringify(['REQ', 'all', { kinds: [9999] }]));
    const closed = new Promise((r) => ws.once('close', r));
    const deadline = Date.now() + 20_000;
    while (!a.deps.counters.get('relay_clients_too_slow') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(a.deps.counters.get('relay_clients_too_slow')).toBe(1);
    const log = a.deps.logs.find((l) => l.message === 'relay_client_too_slow');
    // at most the bound plus one fetch of rows (200 events of ~16 kB) waited in memory, not the 19 MB asked for
    expect(Number(log?.fields?.buffered)).toBeLessThan(bound + 200 * 17_000);
    expect(a.deps.counters.get('relay_events_sent')).toBeLessThan(big.length);
    socket.resume();
    await closed;
    // the endpoint still serves a well-behaved client
    const tools = await connectTools(a.relayUrl);
    expect(await tools.count([{ kinds: [9999] }], {})).toBe(big.length);
    tools.close();
  });
});

describe('lilbrotr', () => {
  it('serves COUNT and NIP-77 over what it stores, refuses REQ, and says in NIP-11 that content is not kept', async () => {
    await insertEventRelaysCascade(
      lil.sql,
      events.slice(0, 50).map((event) => ({ event, relay: source, seenAt: NOW })),
    );
    await using l = await startArchiveApi(lil.sql);
    const doc = (await (
      await fetch(`${l.api.url}/relay`, { headers: { accept: 'application/nostr+json' } })
    ).json()) as { bigbrotr: { content_kept: boolean }; description: string };
    expect(doc.bigbrotr.content_kept).toBe(false);
    expect(doc.description).toMatch(/no tags, content or signatures are kept/);
    const tools = await connectTools(l.relayUrl);
    expect(await tools.count([{ kinds: [1] }], {})).toBe(events.slice(0, 50).filter((e) => e.kind === 1).length);
    const reason = await new Promise<string>((resolve) => {
      tools.subscribe([{ kinds: [1] }], { onclose: resolve, oneose: () => resolve('EOSE') });
    });
    expect(reason).toMatch(/^blocked: this archive keeps no tags, content or signatures/);
    tools.close();
  });
});
