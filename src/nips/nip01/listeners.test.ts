/**
 * A subscription listens on its AbortSignal only while it runs: the REQ walk opens one per page on the cycle's
 * long-lived signal, so a listener left behind per page would pile up (MaxListenersExceededWarning after 10).
 */
import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { generateEvents } from '../../testing/events.js';
import { startTestRelay, type TestRelay } from '../../testing/relay/relay.js';
import { connectRelay, type RelayConnection } from './connection.js';
import { subscribe } from './subscription.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function open(): Promise<{ relay: TestRelay; conn: RelayConnection }> {
  const events = generateEvents(300, { kinds: [1], createdAt: (i) => 1_700_000_000 + i });
  const relay = await startTestRelay({ events });
  cleanup.push(() => relay.close());
  const c = await connectRelay(relay.url, { network: 'local', allowLocal: true });
  if (!c.ok) throw new Error(`connect failed: ${c.reason}`);
  cleanup.push(() => c.value.close());
  return { relay, conn: c.value };
}

const listeners = (signal: AbortSignal): number => getEventListeners(signal, 'abort').length;

describe('subscription listeners on a long-lived signal', () => {
  it('leaves none behind per page: read to EOSE, left early, closed, or started on an aborted signal', async () => {
    const { conn } = await open();
    const cycle = new AbortController();
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      for (let page = 0; page < 30; page++) {
        const sub = subscribe(conn, [{ kinds: [1], until: 1_700_000_300 - page * 10, limit: 10 }], {
          signal: cycle.signal,
          idleTimeoutMs: 5000,
        });
        let n = 0;
        for await (const _ of sub) {
          n += 1;
          // every third page the consumer stops reading before EOSE (a bounded page, a stop request)
          if (page % 3 === 1 && n === 3) break;
        }
        if (page % 3 === 2) sub.close();
        expect(listeners(cycle.signal)).toBe(0);
      }
      const aborted = new AbortController();
      aborted.abort();
      const sub = subscribe(conn, [{ kinds: [1], limit: 1 }], { signal: aborted.signal });
      for await (const _ of sub) {
        // nothing: the subscription ended at once
      }
      expect(sub.outcome?.ok).toBe(false);
      expect(listeners(aborted.signal)).toBe(0);
      await new Promise((r) => setImmediate(r));
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });
});
