import { afterEach, describe, expect, it } from 'vitest';
import { generateEvents, testSecretKey } from '../../testing/events.js';
import { startTestRelay, type TestRelayOpts } from '../../testing/relay/relay.js';
import { createSigner } from '../signer.js';
import { checkRtt } from './rtt.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});
const signer = createSigner(testSecretKey(66, 0));
const base = { network: 'local' as const, allowLocal: true, signer, timeoutMs: 1500 };

async function relay(opts: TestRelayOpts) {
  const r = await startTestRelay(opts);
  cleanup.push(() => r.close());
  return r;
}

describe('nip66 rtt', () => {
  it('measures open, read and write, the write confirmed by its echo', async () => {
    const r = await relay({ events: generateEvents(3) });
    const result = await checkRtt(r.url, base);
    expect(result.logs).toEqual({ open_success: true, read_success: true, write_success: true });
    for (const v of Object.values(result.data)) expect(Number.isInteger(v) && v >= 0).toBe(true);
    expect(Object.keys(result.data).sort()).toEqual(['rtt_open', 'rtt_read', 'rtt_write']);
    expect(r.store.size).toBe(3); // the probe is ephemeral: delivered, not stored
  });

  it('reports a relay with no events, refused writes by their message, and mines proof of work', async () => {
    const empty = await relay({});
    expect((await checkRtt(empty.url, base)).logs).toMatchObject({
      read_success: false,
      read_reason: 'no events',
      write_success: true,
    });
    const guarded = await relay({ events: generateEvents(1), authRequired: { write: true } });
    const refused = await checkRtt(guarded.url, base);
    expect(refused.logs).toMatchObject({ read_success: true, write_success: false });
    expect(refused.logs.write_reason).toMatch(/^auth-required:/);
    const pow = await relay({
      events: generateEvents(1),
      info: { supported_nips: [1, 13], limitation: { min_pow_difficulty: 8 } },
    });
    expect((await checkRtt(pow.url, base)).logs.write_reason).toMatch(/^pow:/);
    expect((await checkRtt(pow.url, { ...base, minPow: 8 })).logs).toMatchObject({ write_success: true });
  });

  it('an open failure fails every phase with its reason; silence costs at most the timeouts', async () => {
    const closed = await checkRtt('ws://127.0.0.1:1', base);
    expect(closed).toEqual({
      data: {},
      logs: {
        open_success: false,
        open_reason: 'refused',
        read_success: false,
        read_reason: 'refused',
        write_success: false,
        write_reason: 'refused',
      },
    });
    const stall = await relay({ misbehave: { stall: true } });
    const started = Date.now();
    const r = await checkRtt(stall.url, base);
    expect(r.logs).toMatchObject({
      open_success: true,
      read_success: false,
      read_reason: 'timeout',
      write_success: false,
    });
    expect(Date.now() - started).toBeLessThan(6_000);
  });
});
