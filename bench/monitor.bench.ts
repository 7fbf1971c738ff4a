/**
 * The monitor against a local relay farm: 10,000 relays checked (NIP-11, RTT open/read/write, HTTP) over
 * loopback and their results stored; the 07-quality.md targets are ≤ 3 minutes and ≤ 300 MB RSS. The farm runs
 * in a child process, so the RSS measured is the monitor's own. Uses BIGBROTR_BENCH_DATABASE_URL or the
 * embedded PostgreSQL.
 */
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { insertRelays } from '../src/core/db/store.js';
import type { RelayUrl } from '../src/models/relay.js';
import { createSigner } from '../src/nips/signer.js';
import { monitorConfigSchema } from '../src/services/monitor/config.js';
import { createMonitor } from '../src/services/monitor/monitor.js';
import { applySqlDir, createDatabase, dropDatabase, initSqlDir } from '../src/testing/databases.js';
import { testSecretKey } from '../src/testing/events.js';
import { recordingDeps } from '../src/testing/service-deps.js';
import { startTestServer } from '../src/testing/vitest/server.js';
import { startChildFarm } from './farm-child.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const off = { nip66_ssl: false, nip66_dns: false, nip66_geo: false, nip66_net: false };

/** Run the monitor benchmark. */
export default async function bench(): Promise<string[]> {
  const count = Number(process.env.BIGBROTR_BENCH_MONITOR_RELAYS ?? 10_000);
  const admin = process.env.BIGBROTR_BENCH_DATABASE_URL;
  const server = admin ? { adminUrl: admin, stop: async () => {} } : await startTestServer();
  const name = 'bb_monitor_bench';
  const url = await createDatabase(server.adminUrl, name);
  await applySqlDir(url, initSqlDir(root, 'bigbrotr'));
  const sql = postgres(url, { max: 4, onnotice: () => {} });
  await using farm = await startChildFarm({
    count,
    eventsPerRelay: 2,
    info: { name: 'farm', supported_nips: [1, 11], limitation: { max_limit: 500 } },
  });
  try {
    await insertRelays(
      sql,
      farm.urls.map((u) => ({ url: u as RelayUrl, network: 'local' as const, discoveredAt: 1 })),
    );
    const config = monitorConfigSchema.parse({
      networks: { local: { enabled: true, max_tasks: 200, timeout: 10 } },
      processing: { chunk_size: 1000, compute: off, store: off, probes: false },
      discovery: { include: off },
    });
    const deps = { ...recordingDeps(sql), signer: createSigner(testSecretKey(91, 0)) };
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    const started = performance.now();
    await createMonitor(deps, config).cycle(new AbortController().signal);
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const [rows] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM relay_metadata`;
    return [
      `${count.toLocaleString('en-US')} relays of a farm in a child process; nip11 + rtt (open/read/write) + http; local network, max_tasks 200, chunks of 1,000`,
      `checked in ${seconds.toFixed(1)} s (${Math.round(count / seconds).toLocaleString('en-US')} relays/s), ${deps.gauges.get('succeeded')} online, ${rows?.n} relay_metadata rows`,
      `monitor process memory (farm in a child process): RSS ${mib(baseline)} before, peak ${mib(peak)} while checking`,
    ];
  } finally {
    await sql.end({ timeout: 5 });
    await dropDatabase(server.adminUrl, name);
    await server.stop();
  }
}
