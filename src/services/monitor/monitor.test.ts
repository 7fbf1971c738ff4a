import { verifyEvent } from 'nostr-tools/pure';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { getServiceState, insertRelays } from '../../core/db/store.js';
import type { RelayUrl } from '../../models/relay.js';
import { createSigner } from '../../nips/signer.js';
import { createTestCertificate } from '../../testing/certs.js';
import { generateEvents, testSecretKey } from '../../testing/events.js';
import { type RelayFarm, startRelayFarm } from '../../testing/relay/farm.js';
import { startTestRelay, type TestRelay } from '../../testing/relay/relay.js';
import { recordingDeps } from '../../testing/service-deps.js';
import { useTestDatabase } from '../../testing/vitest/db.js';
import { monitorConfigSchema } from './config.js';
import { createMonitor } from './monitor.js';

const db = useTestDatabase('bigbrotr');
const signer = createSigner(testSecretKey(77, 0));
const signal = () => new AbortController().signal;
const off = { nip66_ssl: false, nip66_dns: false, nip66_geo: false, nip66_net: false };

let farm: RelayFarm;
let sink: TestRelay;
let guarded: TestRelay;
beforeAll(async () => {
  farm = await startRelayFarm({
    count: 4,
    pool: generateEvents(20, { seed: 8 }),
    eventsPerRelay: 5,
    relayOpts: () => ({
      info: { name: 'farm', supported_nips: [1, 11, 42], limitation: { max_limit: 100 } },
      upgradeHeaders: { server: 'farmd' },
    }),
  });
  sink = await startTestRelay({ info: { supported_nips: [1, 11] } });
  guarded = await startTestRelay({ authRequired: { read: true, write: true } });
});
afterAll(async () => {
  await farm?.close();
  await sink?.close();
  await guarded?.close();
});
beforeEach(async () => {
  await db.sql`DELETE FROM service_state`;
  await db.sql`DELETE FROM relay`;
  await db.sql`DELETE FROM metadata`;
});

const config = (over: Record<string, unknown> = {}) =>
  monitorConfigSchema.parse({
    networks: { clearnet: { enabled: true }, local: { enabled: true, timeout: 2, max_tasks: 10 } },
    processing: { compute: off, store: off },
    discovery: { include: off, interval: 3600 },
    publishing: { relays: [sink.url] },
    ...over,
  });
const relayRows = (urls: readonly string[]) =>
  urls.map((url) => ({ url: url as RelayUrl, network: 'local' as const, discoveredAt: 1 }));

describe('monitor', () => {
  it('checks every relay, stores the results, publishes 30166 per relay and its own events, records verdicts', async () => {
    const offline = 'ws://127.0.0.1:1';
    await insertRelays(db.sql, relayRows([...farm.urls, guarded.url, offline]));
    const deps = { ...recordingDeps(db.sql, { now: () => 10_000 }), signer };
    await createMonitor(deps, config()).cycle(signal());

    const rows = await db.sql<{ relay_url: string; metadata_type: string; data: Record<string, unknown> }[]>`
      SELECT rm.relay_url, rm.metadata_type, m.data FROM relay_metadata rm
      JOIN metadata m ON m.id = rm.metadata_id AND m.type = rm.metadata_type ORDER BY 1, 2`;
    const byRelay = (url: string) =>
      Object.fromEntries(rows.filter((r) => r.relay_url === url).map((r) => [r.metadata_type, r.data]));
    const first = byRelay(farm.urls[0] as string);
    expect(Object.keys(first).sort()).toEqual(['nip11_info', 'nip66_http', 'nip66_rtt']);
    expect(first.nip11_info).toEqual({
      data: { name: 'farm', supported_nips: [1, 11, 42], limitation: { max_limit: 100 } },
      logs: { success: true },
    });
    expect(first.nip66_http).toEqual({ data: { http_server: 'farmd' }, logs: { success: true } });
    expect(first.nip66_rtt).toMatchObject({ logs: { open_success: true, read_success: true, write_success: true } });
    expect(byRelay(offline).nip11_info).toEqual({ logs: { success: false, reason: 'refused' } });

    const verdicts = Object.fromEntries(
      (await getServiceState(db.sql, 'monitor', 'checkpoint')).map((s) => [s.stateKey, s.stateValue.verdict]),
    );
    expect(verdicts).toMatchObject({
      [farm.urls[0] as string]: 'online',
      [guarded.url]: 'auth-required',
      [offline]: 'offline',
    });
    const [farmState] = await getServiceState(db.sql, 'monitor', 'checkpoint', farm.urls[0]);
    expect(farmState?.stateValue.capabilities).toEqual({
      nip42: { advertised: true, observed: true, detail: 'challenge on connect; AUTH accepted' },
      nip45: { advertised: false, observed: true },
      nip77: { advertised: false, observed: false, detail: 'NOTICE: error: unknown message NEG-OPEN' },
    });
    const [guardedState] = await getServiceState(db.sql, 'monitor', 'checkpoint', guarded.url);
    expect(guardedState?.stateValue.capabilities).toEqual({
      nip42: { advertised: true, observed: true, detail: 'challenge on connect; AUTH accepted' },
      nip45: { advertised: true, observed: true },
      nip77: { advertised: true, observed: true },
    });
    const [offState] = await getServiceState(db.sql, 'monitor', 'checkpoint', offline);
    expect(offState?.stateValue.capabilities).toBeUndefined();
    expect(await getServiceState(db.sql, 'monitor', 'checkpoint', 'profile')).toEqual([
      { serviceName: 'monitor', stateType: 'checkpoint', stateKey: 'profile', stateValue: { timestamp: 10_000 } },
    ]);
    expect(deps.gauges.get('total')).toBe(6);
    expect(deps.gauges.get('succeeded')).toBe(4);

    const published = sink.store.all();
    const discovery = published.filter((e) => e.kind === 30166);
    expect(discovery).toHaveLength(6);
    expect(
      published
        .filter((e) => [0, 10002, 10166].includes(e.kind))
        .map((e) => e.kind)
        .sort(),
    ).toEqual([0, 10002, 10166]);
    for (const e of published) expect(verifyEvent({ ...e, tags: e.tags.map((t) => [...t]) })).toBe(true);
    const mine = discovery.find((e) => e.tags.some((t) => t[0] === 'd' && t[1] === farm.urls[0]));
    expect(mine?.tags.filter((t) => ['n', 'N', 'R', 'T', 'http-server'].includes(t[0] ?? ''))).toEqual([
      ['n', 'local'],
      ['http-server', 'farmd'],
      ['N', '1'],
      ['N', '11'],
      ['N', '42'],
      ['R', '!auth'],
      ['R', '!payment'],
      ['R', '!writes'],
      ['R', '!pow'],
      ['T', 'PublicInbox'],
    ]);
    expect(mine?.tags.find((t) => t[0] === 'rtt-open')?.[1]).toMatch(/^\d+$/);
    expect(JSON.parse(mine?.content ?? '')).toEqual({
      limitation: { max_limit: 100 },
      name: 'farm',
      supported_nips: [1, 11, 42],
    });
    const guardedTags = discovery.find((e) => e.tags.some((t) => t[0] === 'd' && t[1] === guarded.url))?.tags;
    expect(guardedTags).toContainEqual(['R', 'auth']);
  });

  it('stores each refusal of the write probe with its reason, and derives requirements from it', async () => {
    const refusals = [
      'blocked: not on the list',
      'restricted: members only',
      'pow: difficulty 30',
      'rate-limited: slow down',
      'invalid: no',
      'error: broken',
      'auth-required: sign in',
      'restricted: paid relay',
    ];
    const relays = await Promise.all(
      refusals.map((r) => startTestRelay({ events: generateEvents(1), misbehave: { refuseWrites: r } })),
    );
    const silent = await startTestRelay({ misbehave: { noticeInsteadOfAnswers: true } });
    try {
      await insertRelays(db.sql, relayRows([...relays.map((r) => r.url), silent.url]));
      await createMonitor({ ...recordingDeps(db.sql, { now: () => 10_000 }), signer }, config()).cycle(signal());
      const docs = await db.sql<{ relay_url: string; data: { logs: Record<string, unknown> } }[]>`
        SELECT rm.relay_url, m.data FROM relay_metadata rm JOIN metadata m ON m.id = rm.metadata_id AND m.type = rm.metadata_type
        WHERE rm.metadata_type = 'nip66_rtt'`;
      const reasons = Object.fromEntries(docs.map((d) => [d.relay_url, d.data.logs.write_reason]));
      expect(relays.map((r) => reasons[r.url])).toEqual(refusals);
      const requirement = (url: string) =>
        sink.store
          .all()
          .find((e) => e.kind === 30166 && e.tags.some((t) => t[0] === 'd' && t[1] === url))
          ?.tags.filter((t) => t[0] === 'R')
          .map((t) => t[1]);
      expect(requirement(relays[1]?.url as string)).toEqual(['!auth', '!payment', 'writes', '!pow']);
      expect(requirement(relays[6]?.url as string)).toEqual(['auth', '!payment', '!writes', '!pow']);
      expect(requirement(relays[7]?.url as string)).toEqual(['!auth', 'payment', '!writes', '!pow']);
      const verdicts = Object.fromEntries(
        (await getServiceState(db.sql, 'monitor', 'checkpoint')).map((s) => [s.stateKey, s.stateValue]),
      );
      expect(verdicts[relays[0]?.url as string]).toMatchObject({ verdict: 'online' });
      expect(verdicts[silent.url]).toMatchObject({ verdict: 'offline', reason: 'timeout' });
    } finally {
      await Promise.all([...relays, silent].map((r) => r.close()));
    }
  });

  it('a second check with the same answers adds relay_metadata rows but no new documents except timings', async () => {
    await insertRelays(db.sql, relayRows(farm.urls));
    let now = 10_000;
    const monitor = createMonitor(
      { ...recordingDeps(db.sql, { now: () => now }), signer },
      config({ publishing: { relays: [] } }),
    );
    await monitor.cycle(signal());
    const count = async () =>
      (
        await db.sql`SELECT (SELECT count(*) FROM metadata)::int AS m, (SELECT count(*) FROM relay_metadata)::int AS rm`
      )[0];
    const before = await count();
    now = 10_000 + 1_800; // not due yet
    await monitor.cycle(signal());
    expect(await count()).toEqual(before);
    now = 10_000 + 3_600;
    await monitor.cycle(signal());
    const after = await count();
    expect(after?.rm).toBe((before?.rm ?? 0) * 2);
    const docs = await db.sql`SELECT type, count(*)::int AS n FROM metadata GROUP BY type ORDER BY type`;
    expect(docs.filter((d) => d.type !== 'nip66_rtt')).toEqual([
      { type: 'nip11_info', n: 1 },
      { type: 'nip66_http', n: 1 },
    ]);
  });

  it('two replicas share the relays: each checked exactly once', async () => {
    await insertRelays(db.sql, relayRows(farm.urls));
    const cfg = config({
      publishing: { relays: [] },
      processing: { compute: off, store: off, chunk_size: 1, probes: false },
    });
    const replica = (owner: string) =>
      createMonitor({ ...recordingDeps(db.sql, { now: () => 10_000 }), signer, owner }, cfg);
    await Promise.all([replica('a').cycle(signal()), replica('b').cycle(signal())]);
    const rows =
      await db.sql`SELECT relay_url, count(*)::int AS n FROM relay_metadata WHERE metadata_type = 'nip66_rtt' GROUP BY 1`;
    expect(rows.map((r) => r.n)).toEqual(farm.urls.map(() => 1));
    expect(await getServiceState(db.sql, 'monitor', 'lease')).toEqual([]);
  });

  it('reports a self-signed wss relay as offline (tls), and online when insecure connections are allowed', async () => {
    const tls = await startTestRelay({ tls: await createTestCertificate() });
    try {
      await insertRelays(db.sql, relayRows([tls.url]));
      let now = 10_000;
      const deps = { ...recordingDeps(db.sql, { now: () => now }), signer };
      await createMonitor(deps, config({ publishing: { relays: [] } })).cycle(signal());
      const verdict = async () => (await getServiceState(db.sql, 'monitor', 'checkpoint', tls.url))[0]?.stateValue;
      expect(await verdict()).toMatchObject({ verdict: 'offline', reason: 'tls' });
      now += 3_600;
      const insecure = config({
        publishing: { relays: [] },
        processing: { compute: off, store: off, allow_insecure: true },
      });
      await createMonitor(deps, insecure).cycle(signal());
      expect(await verdict()).toMatchObject({ verdict: 'online' });
    } finally {
      await tls.close();
    }
  });

  it('never fails a cycle because publishing fails, and retries the announcements next time', async () => {
    await insertRelays(db.sql, relayRows(farm.urls.slice(0, 1)));
    const deps = { ...recordingDeps(db.sql, { now: () => 10_000 }), signer };
    await createMonitor(deps, config({ publishing: { relays: ['ws://127.0.0.1:1'] } })).cycle(signal());
    expect(await getServiceState(db.sql, 'monitor', 'checkpoint', 'profile')).toEqual([]);
    expect(deps.counters.get('publish_failed_refused')).toBeGreaterThan(0);
    expect(deps.gauges.get('total')).toBe(1);
  });
});
