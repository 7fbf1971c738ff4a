import { getEventListeners } from 'node:events';
import { setTimeout as pause } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { collectGarbageTimes } from '../testing/gc.js';
import { sleep, withDeadline } from './deadline.js';

describe('withDeadline', () => {
  it('aborts with a TimeoutError when its time passes', async () => {
    const started = Date.now();
    const { signal } = withDeadline(50);
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect((signal.reason as Error).name).toBe('TimeoutError');
  });

  it("aborts with the parent's reason, and leaves no listener on the parent once cleared or aborted", async () => {
    const parent = new AbortController();
    const d = withDeadline(10_000, parent.signal);
    parent.abort(new Error('shutdown'));
    expect(d.signal.aborted).toBe(true);
    expect((d.signal.reason as Error).message).toBe('shutdown');
    const already = withDeadline(10_000, parent.signal);
    expect(already.signal.aborted).toBe(true);

    // a long-lived parent carries one listener however many deadlines hang on it; cleared ones are let go
    const cycle = new AbortController();
    const pending = Array.from({ length: 100 }, () => withDeadline(10_000, cycle.signal));
    expect(getEventListeners(cycle.signal, 'abort')).toHaveLength(1);
    for (const d of pending.slice(0, 50)) d.clear();
    cycle.abort(new Error('stop'));
    expect(pending.slice(0, 50).every((d) => !d.signal.aborted)).toBe(true);
    expect(pending.slice(50).every((d) => (d.signal.reason as Error).message === 'stop')).toBe(true);
  });

  it('never fires once cleared or disposed', async () => {
    const cleared = withDeadline(20);
    cleared.clear();
    let disposedSignal: AbortSignal;
    {
      using d = withDeadline(20);
      disposedSignal = d.signal;
    }
    await pause(60);
    expect(cleared.signal.aborted).toBe(false);
    expect(disposedSignal.aborted).toBe(false);
  });

  it('a deadline that is never cleared does not fire early, and a non-finite one never fires', async () => {
    const never = withDeadline(Number.POSITIVE_INFINITY);
    const late = withDeadline(200);
    await pause(50);
    expect(late.signal.aborted).toBe(false);
    late.clear();
    never.clear();
    expect(never.signal.aborted).toBe(false);
  });

  // nodejs/node#57736: on Node 20, an AbortSignal.timeout held only by AbortSignal.any can be collected and
  // then never fires. Both deadlines below are reachable only through the signal the caller keeps.
  it('fires under forced garbage collection, where AbortSignal.any of AbortSignal.timeout does not', async () => {
    const parent = new AbortController();
    const fired = { helper: 0, alone: 0, old: 0 };
    const rounds = 5;
    for (let i = 0; i < rounds; i++) {
      const helper = withDeadline(200, parent.signal).signal;
      const alone = withDeadline(200).signal; // no parent: only its timer holds it
      const old = AbortSignal.any([parent.signal, AbortSignal.timeout(200)]);
      helper.addEventListener('abort', () => fired.helper++, { once: true });
      alone.addEventListener('abort', () => fired.alone++, { once: true });
      old.addEventListener('abort', () => fired.old++, { once: true });
      await collectGarbageTimes(5); // while both are pending
      await pause(400);
      expect(helper.aborted).toBe(true);
      expect(old).toBeDefined(); // kept reachable, as a caller awaiting it would
    }
    expect(fired).toMatchObject({ helper: rounds, alone: rounds });
    // the control: the same pressure does collect the old pattern's timer on Node 20 (measured 5 of 5), so
    // the assertion above is not vacuous; a Node release that fixes #57736 makes this fire and fail here
    if (process.versions.node.startsWith('20.')) expect(fired.old).toBe(0);
  });
});

describe('sleep', () => {
  it('resolves true after the full wait, false at once when aborted', async () => {
    expect(await sleep(1)).toBe(true);
    expect(await sleep(0, new AbortController().signal)).toBe(true);
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 10);
    const started = Date.now();
    expect(await sleep(10_000, ctl.signal)).toBe(false);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await sleep(10, ctl.signal)).toBe(false);
  });
});
