import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { insertCandidates } from '../../core/db/candidates.js';
import { getServiceState, insertRelays, upsertServiceState } from '../../core/db/store.js';
import type { RelayUrl } from '../../models/relay.js';
import { checkSpeaksNostr } from '../../nips/nip01/probe.js';
import { createTestCertificate } from '../../testing/certs.js';
import { type RelayFarm, startRelayFarm } from '../../testing/relay/farm.js';
import { startTestRelay, type TestRelay } from '../../testing/relay/relay.js';
import { recordingDeps } from '../../testing/service-deps.js';
import { startSocksServer, type TestSocksServer } from '../../testing/socks5.js';
import { useTestDatabase } from '../../testing/vitest/db.js';
import { validatorConfigSchema } from './config.js';
import { createValidator } from './validator.js';

const db = useTestDatabase('bigbrotr');
const signal = () => new AbortController().signal;
const config = (over: Record<string, unknown> = {}) =>
  validatorConfigSchema.parse({
    networks: { local: { enabled: true, timeout: 2, max_tasks: 20 } },
    processing: { chunk_size: 10, interval: 3600 },
    ...over,
  });

let farm: RelayFarm;
let hostile: {
  noticeOnly: TestRelay;
  tls: TestRelay;
  socks: TestSocksServer;
  echo: WebSocketServer;
  web: ReturnType<typeof createServer>;
};
const port = (s: { address(): AddressInfo | string | null }) => (s.address() as AddressInfo).port;

beforeAll(async () => {
  farm = await startRelayFarm({ count: 30, relayOpts: () => ({ info: { supported_nips: [1, 11] } }) });
  const echo = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  echo.on('connection', (ws) => ws.on('message', (m) => ws.send(String(m))));
  const web = createServer((_q, res) => res.end('hello'));
  web.listen(0, '127.0.0.1');
  await Promise.all([new Promise((r) => echo.once('listening', r)), new Promise((r) => web.once('listening', r))]);
  hostile = {
    noticeOnly: await startTestRelay({ info: { supported_nips: [1] }, misbehave: { noticeInsteadOfAnswers: true } }),
    tls: await startTestRelay({ tls: await createTestCertificate() }),
    socks: await startSocksServer(),
    echo,
    web,
  };
});
afterAll(async () => {
  await farm?.close();
  await hostile?.noticeOnly.close();
  await hostile?.tls.close();
  await hostile?.socks.close();
  hostile?.echo.close();
  hostile?.web.closeAllConnections();
  hostile?.web.close();
});
beforeEach(async () => {
  await db.sql`DELETE FROM service_state`;
  await db.sql`DELETE FROM relay`;
});

const asCandidates = (urls: readonly string[]) =>
  urls.map((url) => ({ url: url as RelayUrl, network: 'local' as const }));
const candidates = async () =>
  Object.fromEntries((await getServiceState(db.sql, 'validator', 'checkpoint')).map((s) => [s.stateKey, s.stateValue]));

describe('validator', () => {
  it('promotes real relays keeping their first-seen time, records why the others failed', async () => {
    const bad = {
      refused: 'ws://127.0.0.1:1',
      notice: hostile.noticeOnly.url,
      echo: `ws://127.0.0.1:${port(hostile.echo)}`,
      web: `ws://127.0.0.1:${port(hostile.web)}`,
      tls: hostile.tls.url,
      socks: `ws://${new URL(hostile.socks.url.replace('socks5:', 'http:')).host}`,
    };
    await insertCandidates(db.sql, asCandidates([...farm.urls.slice(0, 5), ...Object.values(bad)]), 1_000);
    const deps = recordingDeps(db.sql, { now: () => 2_000 });
    const summary = await createValidator(deps, config()).cycle(signal());
    const relays = await db.sql`SELECT url, discovered_at FROM relay ORDER BY url`;
    expect(relays.map((r) => r.url).sort()).toEqual([...farm.urls.slice(0, 5)].sort());
    expect(relays.every((r) => r.discovered_at === '1000')).toBe(true);
    const left = await candidates();
    expect(Object.keys(left).sort()).toEqual(Object.values(bad).sort());
    const reasons = Object.fromEntries(Object.entries(bad).map(([k, url]) => [k, left[url]?.reason]));
    expect(reasons).toMatchObject({
      refused: 'refused',
      notice: 'not-nostr',
      echo: 'not-nostr',
      web: 'not-nostr',
      tls: 'tls',
    });
    expect(['closed', 'invalid', 'timeout']).toContain(reasons.socks);
    expect(left[bad.web]).toMatchObject({ failures: 1, timestamp: 2_000, first_seen: 1_000 });
    expect([deps.gauges.get('total'), deps.gauges.get('validated'), deps.gauges.get('not_validated')]).toEqual([
      11, 5, 6,
    ]);
    expect(deps.counters.get('not_validated_not_nostr')).toBe(3);
    // the failure reasons reach the log: per chunk, and in the cycle's summary (the runner's cycle_completed line)
    expect(summary?.reasons).toMatchObject({ 'not-nostr': 3, refused: 1, tls: 1 });
    expect(deps.logs.some((l) => l.message === 'chunk_validated' && l.fields.reasons)).toBe(true);
    expect(deps.logs.some((l) => l.message === 'nothing_reachable')).toBe(false);
  });

  it('says once, with the reasons and the --demo hint, when no candidate can be reached', async () => {
    await insertCandidates(db.sql, asCandidates(['ws://127.0.0.1:1', 'ws://127.0.0.1:2']), 1_000);
    let clock = 2_000;
    const deps = recordingDeps(db.sql, { now: () => clock });
    const validator = createValidator(deps, config());
    const summaries = [await validator.cycle(signal())];
    clock += 1_000_000; // past every cool-down: both fail again
    summaries.push(await validator.cycle(signal()));
    expect(summaries.map((s) => s?.failed)).toEqual([2, 2]);
    const warned = deps.logs.filter((l) => l.message === 'nothing_reachable');
    expect(warned).toHaveLength(1);
    expect(warned[0]?.level).toBe('warn');
    expect(warned[0]?.fields).toMatchObject({ checked: 2, reasons: { refused: 2 } });
    expect(String(warned[0]?.fields.hint)).toContain('--demo');
  });

  it('waits the cool-down before re-checking a failure, accepts TLS-broken relays only when allowed', async () => {
    await insertCandidates(db.sql, asCandidates([hostile.tls.url]), 1_000);
    let now = 2_000;
    const deps = recordingDeps(db.sql, { now: () => now });
    const strict = createValidator(deps, config());
    await strict.cycle(signal());
    now = 2_000 + 3_599;
    await strict.cycle(signal());
    expect((await candidates())[hostile.tls.url]).toMatchObject({ failures: 1 });
    now = 2_000 + 3_600;
    await strict.cycle(signal());
    expect((await candidates())[hostile.tls.url]).toMatchObject({ failures: 2, first_seen: 1_000 });
    const lenient = createValidator(deps, config({ processing: { allow_insecure: true } }));
    now += 10_000;
    await lenient.cycle(signal());
    expect(await db.sql`SELECT url, discovered_at FROM relay`).toEqual([
      { url: hostile.tls.url, discovered_at: '1000' },
    ]);
  });

  it('checks the fewest failures first, then the oldest, up to max_candidates', async () => {
    const [a, b, c] = farm.urls as [string, string, string];
    await upsertServiceState(db.sql, [
      {
        serviceName: 'validator',
        stateType: 'checkpoint',
        stateKey: a,
        stateValue: { network: 'local', failures: 2, timestamp: 1 },
      },
      {
        serviceName: 'validator',
        stateType: 'checkpoint',
        stateKey: b,
        stateValue: { network: 'local', failures: 0, timestamp: 30 },
      },
      {
        serviceName: 'validator',
        stateType: 'checkpoint',
        stateKey: c,
        stateValue: { network: 'local', failures: 0, timestamp: 20 },
      },
    ]);
    const checked: string[] = [];
    const recording: typeof checkSpeaksNostr = (url, opts) => {
      checked.push(url);
      return checkSpeaksNostr(url, opts);
    };
    const validator = createValidator(
      { ...recordingDeps(db.sql, { now: () => 100_000 }), check: recording },
      config({ processing: { chunk_size: 1, max_candidates: 2 } }),
    );
    await validator.cycle(signal());
    expect(checked).toEqual([c, b]);
  });

  it('skips disabled networks, cleans up promoted and exhausted candidates', async () => {
    const onion = `ws://${'c'.repeat(56)}.onion`;
    await insertCandidates(db.sql, [{ url: onion as RelayUrl, network: 'tor' }], 1);
    await insertRelays(db.sql, [{ url: farm.urls[0] as RelayUrl, network: 'local', discoveredAt: 1 }]);
    await upsertServiceState(db.sql, [
      {
        serviceName: 'validator',
        stateType: 'checkpoint',
        stateKey: farm.urls[0] as string,
        stateValue: { network: 'local', failures: 0, timestamp: 1 },
      },
      {
        serviceName: 'validator',
        stateType: 'checkpoint',
        stateKey: 'ws://127.0.0.1:2',
        stateValue: { network: 'local', failures: 720, timestamp: 1 },
      },
    ]);
    const validator = createValidator(recordingDeps(db.sql, { now: () => 10 }), config());
    await validator.cleanup?.(signal());
    expect(Object.keys(await candidates())).toEqual([onion]);
    await validator.cycle(signal());
    expect(await candidates()).toEqual({ [onion]: { network: 'tor', failures: 0, timestamp: 1 } });
  });

  it('two replicas share the work: every candidate checked exactly once, none lost', async () => {
    const urls = [...farm.urls, ...Array.from({ length: 20 }, (_, i) => `ws://127.0.0.1:${i + 2}`)];
    await insertCandidates(db.sql, asCandidates(urls), 1_000);
    const calls = new Map<string, number>();
    const counting: typeof checkSpeaksNostr = (url, opts) => {
      calls.set(url, (calls.get(url) ?? 0) + 1);
      return checkSpeaksNostr(url, opts);
    };
    const replica = (owner: string) =>
      createValidator(
        { ...recordingDeps(db.sql, { now: () => 2_000 }), check: counting, owner },
        config({ processing: { chunk_size: 4 } }),
      );
    await Promise.all([replica('a').cycle(signal()), replica('b').cycle(signal())]);
    expect(calls.size).toBe(urls.length);
    expect([...calls.values()].every((n) => n === 1)).toBe(true);
    expect((await db.sql`SELECT count(*)::int AS n FROM relay`)[0]?.n).toBe(farm.urls.length);
    const left = await candidates();
    expect(Object.keys(left)).toHaveLength(20);
    expect(Object.values(left).every((v) => v.failures === 1)).toBe(true);
    expect(await getServiceState(db.sql, 'validator', 'lease')).toEqual([]);
  });

  it("takes over a dead replica's candidates once its lease expires", async () => {
    await insertCandidates(db.sql, asCandidates([farm.urls[1] as string]), 1_000);
    await upsertServiceState(db.sql, [
      {
        serviceName: 'validator',
        stateType: 'lease',
        stateKey: farm.urls[1] as string,
        stateValue: { owner: 'dead', expires: 5_000 },
      },
    ]);
    let now = 4_000;
    const validator = createValidator(recordingDeps(db.sql, { now: () => now }), config());
    await validator.cycle(signal());
    expect(Object.keys(await candidates())).toEqual([farm.urls[1]]);
    now = 5_000;
    await validator.cycle(signal());
    expect(await candidates()).toEqual({});
    expect((await db.sql`SELECT url FROM relay`).map((r) => r.url)).toEqual([farm.urls[1]]);
  });
});
