import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { getServiceState, insertEvents, insertRelays } from '../../core/db/store.js';
import type { NostrEvent } from '../../models/event.js';
import type { Relay, RelayUrl } from '../../models/relay.js';
import { createSigner } from '../../nips/signer.js';
import { generateEvents, signEvent, testSecretKey } from '../../testing/events.js';
import { startTestRelay, type TestRelay } from '../../testing/relay/relay.js';
import { recordingDeps } from '../../testing/service-deps.js';
import { useTestDatabase } from '../../testing/vitest/db.js';
import { dvmConfigSchema } from './config.js';
import { createDvm, type DvmDeps, DvmRelaysUnavailableError } from './dvm.js';
import { CURSOR_KEY, REQUEST_KEY_PREFIX } from './state.js';

const db = useTestDatabase('bigbrotr');
const signal = () => new AbortController().signal;
const dvmSigner = createSigner(testSecretKey(90, 0));
const customerKey = testSecretKey(91, 0);
const otherProvider = createSigner(testSecretKey(92, 0)).pubkey;
const nowSec = () => Math.floor(Date.now() / 1000);

const RELAYS: Relay[] = [
  { url: 'wss://a.example.com' as RelayUrl, network: 'clearnet', discoveredAt: 100 },
  { url: 'wss://b.example.com' as RelayUrl, network: 'clearnet', discoveredAt: 300 },
  { url: 'wss://c.example.com' as RelayUrl, network: 'clearnet', discoveredAt: 200 },
  { url: 'ws://abcdefghijklmnop.onion' as RelayUrl, network: 'tor', discoveredAt: 400 },
];
const EVENTS = generateEvents(3, { seed: 93 });

let relay: TestRelay;

beforeAll(async () => {
  await insertRelays(db.sql, RELAYS);
  await insertEvents(db.sql, EVENTS);
});
beforeEach(async () => {
  await db.sql`DELETE FROM service_state`;
  relay = await startTestRelay();
});
afterEach(async () => {
  await relay.close();
});

const config = (over: Record<string, unknown> = {}) =>
  dvmConfigSchema.parse({
    relays: [relay.url],
    fetch_timeout: 5,
    tables: {
      relay: { enabled: true },
      event: { enabled: true, price: 1000 },
      metadata: { enabled: false, price: 0 },
    },
    ...over,
  });

function makeDvm(over: Record<string, unknown> = {}, extra: Partial<DvmDeps> = {}) {
  const deps = { ...recordingDeps(db.sql), signer: dvmSigner, allowLocal: true, ...extra };
  return { deps, service: createDvm(deps, config(over)) };
}

function ask(tags: string[][], createdAt = nowSec()): NostrEvent {
  const event = signEvent({ kind: 5050, created_at: createdAt, tags, content: '' }, customerKey);
  relay.store.add(event);
  return event;
}
const table = (name: string) => ['param', 'table', name];

const answersTo = (request: NostrEvent) =>
  relay.store
    .all()
    .filter((e) => e.pubkey === dvmSigner.pubkey && e.tags.some((t) => t[0] === 'e' && t[1] === request.id));

function onlyAnswer(request: NostrEvent): NostrEvent {
  const answers = answersTo(request);
  expect(answers).toHaveLength(1);
  const answer = answers[0] as NostrEvent;
  expect(answer.tags).toContainEqual(['e', request.id]);
  expect(answer.tags).toContainEqual(['p', request.pubkey]);
  return answer;
}
function feedback(request: NostrEvent): { status: string; code: string; amount?: string } {
  const answer = onlyAnswer(request);
  expect(answer.kind).toBe(7000);
  const status = answer.tags.find((t) => t[0] === 'status');
  const amount = answer.tags.find((t) => t[0] === 'amount')?.[1];
  const body = JSON.parse(answer.content) as { error: { code: string } };
  return { status: status?.[1] ?? '', code: body.error.code, ...(amount === undefined ? {} : { amount }) };
}
function result(request: NostrEvent): { data: Record<string, unknown>[]; meta: Record<string, unknown> } {
  const answer = onlyAnswer(request);
  expect(answer.kind).toBe(6050);
  const stringified = answer.tags.find((t) => t[0] === 'request')?.[1];
  expect(JSON.parse(stringified ?? 'null')).toEqual(request);
  return JSON.parse(answer.content);
}

describe('dvm', () => {
  it('announces itself once per start with its kind and the enabled tables and prices', async () => {
    const { service } = makeDvm();
    await service.cycle(signal());
    await service.cycle(signal());
    const announcements = relay.store.all().filter((e) => e.kind === 31990);
    expect(announcements).toHaveLength(1);
    const a = announcements[0] as NostrEvent;
    expect(a.pubkey).toBe(dvmSigner.pubkey);
    expect(a.tags).toEqual([
      ['d', 'bigbrotr-dvm'],
      ['k', '5050'],
    ]);
    const content = JSON.parse(a.content) as { name: string; about: string; tables: Record<string, { price: number }> };
    expect(content.name).toBe('BigBrotr DVM');
    expect(content.about).toBe('Query the BigBrotr Nostr archive');
    expect(Object.keys(content.tables).sort()).toEqual(['event', 'relay']);
    expect(content.tables.event?.price).toBe(1000);
    expect(content.tables.relay?.price).toBe(0);
  });

  it('does not announce when told not to', async () => {
    await makeDvm({ announce: false }).service.cycle(signal());
    expect(relay.store.all().filter((e) => e.kind === 31990)).toHaveLength(0);
  });

  it('answers a valid request with the right rows', async () => {
    const req = ask([
      table('relay'),
      ['param', 'filter', 'network=clearnet,discovered_at=>=:200'],
      ['param', 'sort', 'discovered_at:desc'],
      ['param', 'limit', '1'],
      ['output', 'application/json'],
    ]);
    const all = ask([table('relay'), ['param', 'sort', 'url']]);
    const { deps, service } = makeDvm();
    await service.cycle(signal());
    const r = result(req);
    expect(r.data).toEqual([{ url: 'wss://b.example.com', network: 'clearnet', discovered_at: 300 }]);
    expect(r.meta).toMatchObject({ total: 2, limit: 1, offset: 0, table: 'relay' });
    expect(onlyAnswer(req).tags.some((t) => t[0] === 'amount')).toBe(false);
    expect(result(all).data.map((row) => row.url)).toEqual(RELAYS.map((x) => x.url).sort());
    expect(deps.counters.get('requests_total')).toBe(2);
    expect(deps.counters.get('requests_answered')).toBe(2);
  });

  it('answers malformed and hostile requests with error feedback and never runs them', async () => {
    const cases: [string, string[][]][] = [
      ['missing_table', []],
      ['missing_table', [['param', 'limit', '3']]],
      ['invalid_param', [['param', 'table']]],
      ['unknown_param', [table('relay'), ['param', 'where', '1=1']]],
      ['invalid_limit', [table('relay'), ['param', 'limit', 'ten']]],
      ['invalid_offset', [table('relay'), ['param', 'offset', '-1']]],
      ['invalid_filter', [table('relay'), ['param', 'filter', 'nonsense']]],
      ['unknown_column', [table('relay'), ['param', 'filter', 'nope=1']]],
      ['unknown_column', [table('relay'), ['param', 'filter', 'url" OR 1=1 --=x']]],
      ['invalid_value', [table('relay'), ['param', 'filter', 'discovered_at=1; DROP TABLE relay']]],
      ['invalid_operator', [table('relay'), ['param', 'filter', 'discovered_at=ILIKE:%1%']]],
      ['invalid_sort', [table('relay'), ['param', 'sort', 'url:sideways']]],
      ['unknown_column', [table('relay'), ['param', 'sort', 'url; DROP TABLE relay']]],
      ['unknown_table', [table('relay; DROP TABLE relay; --')]],
      ['unknown_table', [table('"relay"')]],
      ['unknown_table', [table('public.relay')]],
      ['unknown_table', [table('pg_catalog.pg_authid')]],
      ['invalid_bid', [table('relay'), ['bid', 'lots']]],
      ['encrypted_unsupported', [table('relay'), ['encrypted']]],
    ];
    const requests = cases.map(([code, tags], i) => ({ code, req: ask(tags, nowSec() - i) }));
    const { deps, service } = makeDvm();
    await service.cycle(signal());
    for (const { code, req } of requests)
      expect({ code, got: feedback(req) }).toEqual({ code, got: { status: 'error', code } });
    expect(deps.counters.get('requests_failed')).toBe(cases.length);
    expect(deps.counters.get('requests_total')).toBe(cases.length);
    const [n] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM relay`;
    expect(n?.n).toBe(RELAYS.length);
  });

  it('binds filter values: injection text matches nothing, and huge limits are capped', async () => {
    const quote = ask([table('relay'), ['param', 'filter', "url=' OR '1'='1"]]);
    const like = ask([table('relay'), ['param', 'filter', "url=ILIKE:%' OR 1=1 --"]]);
    const huge = ask([table('relay'), ['param', 'limit', '99999999999']]);
    await makeDvm({ max_page_size: 2 }).service.cycle(signal());
    expect(result(quote).data).toEqual([]);
    expect(result(like).data).toEqual([]);
    const page = result(huge);
    expect(page.data).toHaveLength(2);
    expect(page.meta).toMatchObject({ limit: 2, total: RELAYS.length });
  });

  it('ignores requests for another provider and answers those addressed to it', async () => {
    const elsewhere = ask([table('relay'), ['p', otherProvider]]);
    const mine = ask([table('relay'), ['p', dvmSigner.pubkey]]);
    const { deps, service } = makeDvm();
    await service.cycle(signal());
    expect(answersTo(elsewhere)).toHaveLength(0);
    expect(result(mine).data).toHaveLength(RELAYS.length);
    expect(deps.gauges.get('requests_ignored_elsewhere')).toBe(1);
    expect(deps.counters.get('requests_total')).toBe(1);
  });

  it('asks for payment when the bid is below the price, answers with the amount when it is not', async () => {
    const noBid = ask([table('event')]);
    const low = ask([table('event'), ['bid', '999']]);
    const enough = ask([table('event'), ['bid', '1000'], ['param', 'sort', 'created_at']]);
    const { deps, service } = makeDvm();
    await service.cycle(signal());
    expect(feedback(noBid)).toEqual({ status: 'payment-required', code: 'payment_required', amount: '1000' });
    expect(feedback(low)).toEqual({ status: 'payment-required', code: 'payment_required', amount: '1000' });
    const paid = result(enough);
    expect(paid.data.map((row) => row.id)).toEqual(EVENTS.map((e) => e.id));
    expect(onlyAnswer(enough).tags).toContainEqual(['amount', '1000']);
    expect(deps.counters.get('payment_required')).toBe(2);
    expect(deps.counters.get('requests_answered')).toBe(1);
  });

  it('refuses disabled and unconfigured tables without any data', async () => {
    const disabled = ask([table('metadata')]);
    const unconfigured = ask([table('service_state')]);
    await makeDvm().service.cycle(signal());
    expect(feedback(disabled)).toEqual({ status: 'error', code: 'unknown_table' });
    expect(feedback(unconfigured)).toEqual({ status: 'error', code: 'unknown_table' });
    for (const req of [disabled, unconfigured]) expect(JSON.parse(onlyAnswer(req).content)).not.toHaveProperty('data');
  });

  it('ignores forged, expired and far-future requests', async () => {
    const real = signEvent({ kind: 5050, created_at: nowSec(), tags: [table('relay')], content: '' }, customerKey);
    const forged = { ...real, tags: [table('event')] };
    relay.store.add(forged);
    const expired = ask([table('relay'), ['expiration', String(nowSec() - 1)]]);
    const future = ask([table('relay')], nowSec() + 3600);
    const { deps, service } = makeDvm();
    await service.cycle(signal());
    for (const req of [forged, expired, future]) expect(answersTo(req)).toHaveLength(0);
    expect(deps.gauges.get('requests_ignored_invalid')).toBe(1);
    expect(deps.gauges.get('requests_ignored_expired')).toBe(1);
    expect(deps.gauges.get('requests_ignored_future')).toBe(1);
    const [cursor] = await getServiceState(db.sql, 'dvm', 'checkpoint', CURSOR_KEY);
    expect(Number(cursor?.stateValue.timestamp)).toBeLessThanOrEqual(nowSec());
  });

  it('pages back through a backlog larger than the relay returns per request', async () => {
    await relay.close();
    relay = await startTestRelay({ info: { supported_nips: [1], limitation: { max_limit: 3 } } });
    const base = nowSec() - 100;
    const requests = Array.from({ length: 8 }, (_, i) => ask([table('relay'), ['param', 'limit', '1']], base + i));
    const { deps, service } = makeDvm({ announce: false });
    await service.cycle(signal());
    for (const req of requests) expect(result(req).data).toHaveLength(1);
    expect(deps.counters.get('requests_answered')).toBe(8);
  });

  it('answers requests published while it was stopped, and never answers one twice across restarts', async () => {
    await makeDvm().service.cycle(signal());
    const [cursor] = await getServiceState(db.sql, 'dvm', 'checkpoint', CURSOR_KEY);
    const stoppedAt = Number(cursor?.stateValue.timestamp);
    expect(stoppedAt).toBeGreaterThan(0);
    // published while down: one stamped a minute before the last run (a slow relay), one after it
    const late = ask([table('relay'), ['param', 'limit', '1']], stoppedAt - 60);
    const later = ask([table('relay'), ['param', 'limit', '2']]);
    const restarted = makeDvm();
    await restarted.service.cycle(signal());
    expect(result(late).data).toHaveLength(1);
    expect(result(later).data).toHaveLength(2);
    await restarted.service.cycle(signal());
    const again = makeDvm();
    await again.service.cycle(signal());
    expect(answersTo(late)).toHaveLength(1);
    expect(answersTo(later)).toHaveLength(1);
    expect(again.deps.counters.get('requests_total')).toBeUndefined();
    const rows = await getServiceState(db.sql, 'dvm', 'checkpoint');
    expect(rows.map((r) => r.stateKey).sort()).toEqual(
      [CURSOR_KEY, `${REQUEST_KEY_PREFIX}${late.id}`, `${REQUEST_KEY_PREFIX}${later.id}`].sort(),
    );
  });

  it('forgets answered ids once they fall out of the overlap window', async () => {
    const old = ask([table('relay')], nowSec() - 50);
    await makeDvm({}, { window: { overlap: 10 } }).service.cycle(signal());
    expect(answersTo(old)).toHaveLength(1);
    const keys = (await getServiceState(db.sql, 'dvm', 'checkpoint')).map((r) => r.stateKey);
    expect(keys).toEqual([CURSOR_KEY]);
    await makeDvm({}, { window: { overlap: 10 } }).service.cycle(signal());
    expect(answersTo(old)).toHaveLength(1);
  });

  it('keeps a bounded set of ids and moves its floor past the ones it drops', async () => {
    const base = nowSec() - 30;
    const reqs = [0, 1, 2].map((i) => ask([table('relay')], base + i));
    await makeDvm({ announce: false }, { window: { maxIds: 1 } }).service.cycle(signal());
    for (const r of reqs) expect(answersTo(r)).toHaveLength(1);
    const rows = await getServiceState(db.sql, 'dvm', 'checkpoint');
    expect(rows.map((r) => r.stateKey).sort()).toEqual([CURSOR_KEY, `${REQUEST_KEY_PREFIX}${reqs[2]?.id}`].sort());
    expect(rows.find((r) => r.stateKey === CURSOR_KEY)?.stateValue.floor).toBe(base + 2);
    await makeDvm({ announce: false }, { window: { maxIds: 1 } }).service.cycle(signal());
    for (const r of reqs) expect(answersTo(r)).toHaveLength(1);
  });

  it('counts answers the relays refuse, and does not retry them', async () => {
    relay.misbehave = { refuseWrites: 'blocked: read-only relay' };
    const req = ask([table('relay')]);
    const { deps, service } = makeDvm();
    await service.cycle(signal());
    expect(answersTo(req)).toHaveLength(0);
    expect(deps.counters.get('answers_rejected')).toBe(1);
    expect(deps.counters.get('requests_total')).toBe(1);
    const keys = (await getServiceState(db.sql, 'dvm', 'checkpoint')).map((r) => r.stateKey);
    expect(keys).toContain(`${REQUEST_KEY_PREFIX}${req.id}`);
  });

  it('answers a request held by several relays once, on every relay', async () => {
    await using second = await startTestRelay();
    const req = ask([table('relay')]);
    second.store.add(req);
    const { deps, service } = makeDvm({ relays: [relay.url, second.url] });
    await service.cycle(signal());
    expect(result(req).data).toHaveLength(RELAYS.length);
    const onSecond = second.store.all().filter((e) => e.kind === 6050 && e.tags.some((t) => t[1] === req.id));
    expect(onSecond).toHaveLength(1);
    expect(onSecond[0]?.id).toBe(onlyAnswer(req).id);
    expect(deps.counters.get('requests_total')).toBe(1);
  });

  it('answers what an unfinished fetch returned but keeps its cursor until a fetch completes', async () => {
    relay.misbehave = { noEose: true };
    const req = ask([table('relay')]);
    await makeDvm({ fetch_timeout: 1, announce: false }).service.cycle(signal());
    expect(answersTo(req)).toHaveLength(1);
    const [stuck] = await getServiceState(db.sql, 'dvm', 'checkpoint', CURSOR_KEY);
    expect(stuck?.stateValue.timestamp).toBeNull();
    relay.misbehave = {};
    await makeDvm({ announce: false }).service.cycle(signal());
    const [moved] = await getServiceState(db.sql, 'dvm', 'checkpoint', CURSOR_KEY);
    expect(Number(moved?.stateValue.timestamp)).toBeGreaterThan(0);
    expect(answersTo(req)).toHaveLength(1);
  });

  it('without the privilege to write its state: says so once, answers each request once from memory', async () => {
    const req = ask([table('relay')]);
    await db.sql`CREATE FUNCTION deny_write() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'read only' USING ERRCODE = 'insufficient_privilege'; END $$`;
    await db.sql`CREATE TRIGGER deny_write BEFORE INSERT OR UPDATE OR DELETE ON service_state
      FOR EACH ROW EXECUTE FUNCTION deny_write()`;
    try {
      const { service, deps } = makeDvm();
      await service.cycle(signal());
      await service.cycle(signal());
      expect(answersTo(req)).toHaveLength(1);
      const warnings = deps.logs.filter((l) => l.message === 'state_not_persisted');
      expect(warnings).toHaveLength(1);
      expect(String(warnings[0]?.fields?.reason)).toContain('42501');
    } finally {
      await db.sql`DROP TRIGGER deny_write ON service_state`;
      await db.sql`DROP FUNCTION deny_write()`;
    }
    expect(await getServiceState(db.sql, 'dvm', 'checkpoint')).toEqual([]);
  });

  it('fails the cycle when no relay can be reached, and does nothing without relays', async () => {
    const { service } = makeDvm({ relays: ['ws://127.0.0.1:1'] });
    await expect(service.cycle(signal())).rejects.toBeInstanceOf(DvmRelaysUnavailableError);
    const none = makeDvm({ relays: [] });
    await none.service.cycle(signal());
    await none.service.cycle(signal());
    // a warning once per cause, then at debug
    const said = none.deps.logs.filter((l) => l.message === 'no_relays_configured').map((l) => l.level);
    expect(said).toEqual(['warn', 'debug']);
  });
});
