/**
 * The DVM against a real relay and database: its announcement, answers, error feedback, payment requests and
 * what it refuses or ignores.
 */
import { describe, expect, it } from 'vitest';
import { getServiceState } from '../../core/db/store.js';
import type { NostrEvent } from '../../models/event.js';
import { signEvent } from '../../testing/events.js';
import {
  answersTo,
  ask,
  customerKey,
  db,
  dvmSigner,
  EVENTS,
  feedback,
  makeDvm,
  nowSec,
  onlyAnswer,
  otherProvider,
  RELAYS,
  relay,
  result,
  signal,
  table,
  useDvmTest,
} from '../../testing/vitest/dvm-fixture.js';
import { CURSOR_KEY } from './state.js';

useDvmTest();

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
});
