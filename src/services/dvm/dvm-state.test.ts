/**
 * The DVM's state across cycles and restarts: backlogs, answered ids and their window, refused answers, several
 * relays, unfinished fetches, no privilege to write its state, no relay reachable.
 */
import { describe, expect, it } from 'vitest';
import { getServiceState } from '../../core/db/store.js';
import { startTestRelay } from '../../testing/relay/relay.js';
import {
  answersTo,
  ask,
  db,
  makeDvm,
  nowSec,
  onlyAnswer,
  RELAYS,
  relay,
  replaceRelay,
  result,
  signal,
  table,
  useDvmTest,
} from '../../testing/vitest/dvm-fixture.js';
import { DvmRelaysUnavailableError } from './dvm.js';
import { CURSOR_KEY, REQUEST_KEY_PREFIX } from './state.js';

useDvmTest();

describe('dvm state', () => {
  it('pages back through a backlog larger than the relay returns per request', async () => {
    await replaceRelay({ info: { supported_nips: [1], limitation: { max_limit: 3 } } });
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
