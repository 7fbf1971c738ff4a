/**
 * The synchronizer's `timeouts.max_duration` fires under garbage collection (docs/design/deadlines.md): a
 * `--once` run with the live tail on, which only the deadline ends, stops in time while collections are forced.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { insertRelays } from '../../core/db/store.js';
import { runService } from '../../core/runner.js';
import type { RelayUrl } from '../../models/relay.js';
import { generateEvents } from '../../testing/events.js';
import { startGcPressure } from '../../testing/gc.js';
import { startTestRelay, type TestRelay } from '../../testing/relay/relay.js';
import { recordingDeps } from '../../testing/service-deps.js';
import { useTestDatabase } from '../../testing/vitest/db.js';
import { useVerifierPool } from '../../testing/vitest/verifier-pool.js';
import { synchronizerConfigSchema } from './config.js';
import { createSynchronizer } from './synchronizer.js';

const db = useTestDatabase('bigbrotr');
const pool = useVerifierPool();
let relay: TestRelay;
beforeAll(async () => {
  const now = Math.floor(Date.now() / 1000);
  relay = await startTestRelay({
    events: generateEvents(50, { seed: 41, createdAt: (i) => now - 3_600 + i }),
    info: { supported_nips: [1] },
  });
});
afterAll(async () => {
  await relay?.close();
});

it('--once with the live tail stops within max_duration + 5 s under forced garbage collection', async () => {
  await insertRelays(db.sql, [{ url: relay.url as RelayUrl, network: 'local', discoveredAt: 1 }]);
  const maxDuration = 4;
  const config = synchronizerConfigSchema.parse({
    networks: { clearnet: { enabled: false }, local: { enabled: true, timeout: 3 } },
    processing: { limit: 100, end_lag: 0, since: Math.floor(Date.now() / 1000) - 7_200, live_tail: true },
    timeouts: { idle: 3, max_duration: maxDuration },
  });
  const deps = { ...recordingDeps(db.sql), pool: pool() };
  const pressure = startGcPressure(25);
  const started = Date.now();
  const code = await runService(createSynchronizer(deps, config), {
    intervalSec: 60,
    maxConsecutiveFailures: 0,
    once: true,
    graceMs: 30_000,
    logger: deps.logger,
    metrics: deps.metrics,
  });
  const seconds = (Date.now() - started) / 1000;
  const collections = await pressure.stop();
  expect(code).toBe(0);
  // the tail ran (so only the deadline could end it), and the cycle ended by it
  expect(deps.logs.some((l) => l.message === 'tail_ended')).toBe(true);
  expect(deps.counters.get('events_inserted')).toBe(50);
  expect(seconds).toBeGreaterThanOrEqual(maxDuration - 0.5);
  expect(seconds).toBeLessThan(maxDuration + 5);
  expect(collections).toBeGreaterThanOrEqual(5); // while the deadline was pending
}, 60_000);
