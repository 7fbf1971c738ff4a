/**
 * The monitor's write probe ends at its deadline under garbage collection (docs/design/deadlines.md): a relay
 * that accepts the probe (OK true) and never serves it back must not hang the check nor the monitor's cycle.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { getServiceState, insertRelays } from '../../core/db/store.js';
import type { RelayUrl } from '../../models/relay.js';
import { checkRtt } from '../../nips/nip66/rtt.js';
import { createSigner } from '../../nips/signer.js';
import { generateEvents, testSecretKey } from '../../testing/events.js';
import { startGcPressure } from '../../testing/gc.js';
import { startTestRelay, type TestRelay } from '../../testing/relay/relay.js';
import { recordingDeps } from '../../testing/service-deps.js';
import { useTestDatabase } from '../../testing/vitest/db.js';
import { monitorConfigSchema } from './config.js';
import { createMonitor } from './monitor.js';

const db = useTestDatabase('bigbrotr');
const signer = createSigner(testSecretKey(80, 0));
let silent: TestRelay;
let sink: TestRelay;
beforeAll(async () => {
  silent = await startTestRelay({ events: generateEvents(3, { seed: 80 }), misbehave: { acceptWithoutServing: true } });
  sink = await startTestRelay({ info: { supported_nips: [1, 11] } });
});
afterAll(async () => {
  await silent?.close();
  await sink?.close();
});

it('the write probe of a relay that accepts and never echoes ends at its deadline under forced GC', async () => {
  const pressure = startGcPressure(25);
  const started = Date.now();
  const result = await checkRtt(silent.url, { network: 'local', allowLocal: true, signer, timeoutMs: 1_500 });
  const seconds = (Date.now() - started) / 1000;
  expect(await pressure.stop()).toBeGreaterThanOrEqual(3);
  expect(result.logs).toMatchObject({ open_success: true, read_success: true, write_success: false });
  expect(result.logs.write_reason).toBe('accepted but never seen again');
  expect(seconds).toBeGreaterThanOrEqual(1.4); // it waited for the echo until the deadline …
  expect(seconds).toBeLessThan(1.5 + 5); // … and no longer
});

it("such a relay does not hang the monitor's cycle under forced GC", async () => {
  await insertRelays(db.sql, [{ url: silent.url as RelayUrl, network: 'local', discoveredAt: 1 }]);
  const off = { nip66_ssl: false, nip66_dns: false, nip66_geo: false, nip66_net: false };
  const config = monitorConfigSchema.parse({
    networks: { clearnet: { enabled: false }, local: { enabled: true, timeout: 2, max_tasks: 2 } },
    processing: { compute: off, store: off },
    discovery: { include: off, interval: 3600 },
    publishing: { relays: [sink.url] },
  });
  const deps = { ...recordingDeps(db.sql, { now: () => 10_000 }), signer };
  const pressure = startGcPressure(25);
  const started = Date.now();
  await createMonitor(deps, config).cycle(new AbortController().signal);
  const seconds = (Date.now() - started) / 1000;
  expect(await pressure.stop()).toBeGreaterThanOrEqual(5);
  // the rtt check (read, then the write awaited to its 2 s deadline) and the probes, each bounded
  expect(seconds).toBeLessThan(20);
  const [state] = await getServiceState(db.sql, 'monitor', 'checkpoint', silent.url);
  expect(state?.stateValue.verdict).toBe('online');
  const [rtt] = await db.sql<{ data: { logs: Record<string, unknown> } }[]>`
    SELECT m.data FROM relay_metadata rm JOIN metadata m ON m.id = rm.metadata_id AND m.type = rm.metadata_type
    WHERE rm.relay_url = ${silent.url} AND rm.metadata_type = 'nip66_rtt'`;
  expect(rtt?.data.logs).toMatchObject({ write_success: false, write_reason: 'accepted but never seen again' });
}, 60_000);
