/**
 * Many relays at once on one cycle: every relay's pages (and, with the live tail, its subscription) end with the
 * cycle, yet the cycle's signal must not collect a listener per relay (Node warns past ten: a
 * MaxListenersExceededWarning on every start of a deployment with more than ten relays to walk).
 */
import { describe, expect, it } from 'vitest';
import { insertRelays } from '../../core/db/store.js';
import type { RelayUrl } from '../../models/relay.js';
import { generateEvents } from '../../testing/events.js';
import { startTestRelay } from '../../testing/relay/relay.js';
import { recordingDeps } from '../../testing/service-deps.js';
import { useSyncHarness } from '../../testing/vitest/sync-harness.js';
import { synchronizerConfigSchema } from './config.js';
import { createSynchronizer } from './synchronizer.js';

const harness = useSyncHarness();
const RELAYS = 14;

describe('a cycle over more relays than the listener warning allows', () => {
  it('walks and tails 14 relays at once without a MaxListenersExceededWarning', async () => {
    const now = Math.floor(Date.now() / 1000);
    const relays = await Promise.all(
      Array.from({ length: RELAYS }, (_, r) =>
        startTestRelay({ events: generateEvents(60, { seed: 100 + r, createdAt: (i) => now - 3_600 + i * 10 }) }),
      ),
    );
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      await insertRelays(
        harness.db.sql,
        relays.map((r) => ({ url: r.url as RelayUrl, network: 'local' as const, discoveredAt: 1 })),
      );
      const config = synchronizerConfigSchema.parse({
        networks: { clearnet: { enabled: false }, local: { enabled: true, timeout: 3, max_tasks: RELAYS } },
        processing: { since: now - 7_200, end_lag: 0, live_tail: true, live_tail_max_relays: RELAYS },
        // the tail runs until the cycle's deadline
        timeouts: { idle: 3, max_duration: 4 },
      });
      const deps = { ...recordingDeps(harness.db.sql), pool: harness.pool() };
      await createSynchronizer(deps, config).cycle(new AbortController().signal);
      for (const r of relays) expect((await harness.stored(r.url)).size).toBe(60);
      expect(deps.logs.some((l) => l.message === 'tail_ended' && l.fields.relays === RELAYS)).toBe(true);
      await new Promise((r) => setImmediate(r));
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', onWarning);
      await Promise.all(relays.map((r) => r.close()));
    }
  }, 60_000);
});
