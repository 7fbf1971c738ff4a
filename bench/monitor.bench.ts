/**
 * The monitor against a local relay farm: 10,000 relays checked (NIP-11, RTT open/read/write, HTTP) over
 * loopback and their results stored; the targets are ≤ 3 minutes and ≤ 300 MB RSS. The farm runs
 * in a child process, so the RSS measured is the monitor's own. Uses BIGBROTR_BENCH_DATABASE_URL or the
 * embedded PostgreSQL.
 */
import { insertRelays } from '../src/core/db/store.js';
import type { RelayUrl } from '../src/models/relay.js';
import { createSigner } from '../src/nips/signer.js';
import { monitorConfigSchema } from '../src/services/monitor/config.js';
import { createMonitor } from '../src/services/monitor/monitor.js';
import { testSecretKey } from '../src/testing/events.js';
import { recordingDeps } from '../src/testing/service-deps.js';
import { startChildFarm } from './farm-child.js';
import { measured, mib, withBenchDatabase } from './service-bench.js';

const off = { nip66_ssl: false, nip66_dns: false, nip66_geo: false, nip66_net: false };

/** Run the monitor benchmark. */
export default async function bench(): Promise<string[]> {
  const count = Number(process.env.BIGBROTR_BENCH_MONITOR_RELAYS ?? 10_000);
  const info = { name: 'farm', supported_nips: [1, 11], limitation: { max_limit: 500 } };
  await using farm = await startChildFarm({ count, eventsPerRelay: 2, info });
  // `return await`: the farm must outlive the run (it is disposed on return)
  return await withBenchDatabase('bb_monitor_bench', async (sql) => {
    const relays = farm.urls.map((u) => ({ url: u as RelayUrl, network: 'local' as const, discoveredAt: 1 }));
    await insertRelays(sql, relays);
    const config = monitorConfigSchema.parse({
      networks: { local: { enabled: true, max_tasks: 200, timeout: 10 } },
      processing: { chunk_size: 1000, compute: off, store: off, probes: false },
      discovery: { include: off },
    });
    const deps = { ...recordingDeps(sql), signer: createSigner(testSecretKey(91, 0)) };
    const run = await measured(() => createMonitor(deps, config).cycle(new AbortController().signal));
    const [rows] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM relay_metadata`;
    if (deps.gauges.get('succeeded') !== count)
      throw new Error(`only ${deps.gauges.get('succeeded')} of ${count} relays online`);
    return [
      `${count.toLocaleString('en-US')} relays of a farm in a child process; nip11 + rtt (open/read/write) + http; local network, max_tasks 200, chunks of 1,000`,
      `checked in ${run.seconds.toFixed(1)} s (${Math.round(count / run.seconds).toLocaleString('en-US')} relays/s), ${deps.gauges.get('succeeded')} online, ${rows?.n} relay_metadata rows`,
      `monitor process memory: RSS ${mib(run.baseline)} before, peak ${mib(run.peak)} while checking`,
    ];
  });
}
