/**
 * Ingest end to end (spec 07): a relay farm in a child process over loopback WebSockets → parse → dedupe →
 * verify on the pool → PostgreSQL, by the synchronizer. First run: every event new; second run (cursors reset):
 * 80 % already stored. BIGBROTR_BENCH_INGEST_RELAYS × BIGBROTR_BENCH_INGEST_EVENTS (default 20 × 10,000).
 */
import { insertRelays } from '../src/core/db/store.js';
import type { RelayUrl } from '../src/models/relay.js';
import { synchronizerConfigSchema } from '../src/services/synchronizer/config.js';
import { createSynchronizer } from '../src/services/synchronizer/synchronizer.js';
import { recordingDeps } from '../src/testing/service-deps.js';
import { createVerifierPool } from '../src/utils/verifier/pool.js';
import { startChildFarm } from './farm-child.js';
import { measured, mib, withBenchDatabase } from './service-bench.js';

const rate = (n: number, s: number): string => `${Math.round(n / s).toLocaleString('en-US')} events/s`;

/** Run the ingest benchmark. */
export default async function bench(): Promise<string[]> {
  const relays = Number(process.env.BIGBROTR_BENCH_INGEST_RELAYS ?? 20);
  const perRelay = Number(process.env.BIGBROTR_BENCH_INGEST_EVENTS ?? 10_000);
  const total = relays * perRelay;
  const limit = Number(process.env.BIGBROTR_BENCH_INGEST_LIMIT ?? 1000);
  const batch = Number(process.env.BIGBROTR_BENCH_INGEST_BATCH ?? 2000);
  await using farm = await startChildFarm({
    count: relays,
    eventsPerRelay: perRelay,
    poolSize: total,
    info: { supported_nips: [1, 11], limitation: { max_limit: 5000 } },
  });
  await using pool = createVerifierPool();
  // `return await`: the farm and the pool must outlive the run (they are disposed on return)
  return await withBenchDatabase('bb_ingest_bench', async (sql) => {
    await insertRelays(
      sql,
      farm.urls.map((u) => ({ url: u as RelayUrl, network: 'local' as const, discoveredAt: 1 })),
    );
    const config = synchronizerConfigSchema.parse({
      networks: { clearnet: { enabled: false }, local: { enabled: true, max_tasks: 50, timeout: 30 } },
      processing: { limit, end_lag: 0, batch_size: batch, since: 1_600_000_000 },
    });
    const sync = async () => {
      const deps = { ...recordingDeps(sql), pool };
      const run = await measured(() => createSynchronizer(deps, config).cycle(new AbortController().signal));
      return { ...run, deps };
    };
    const fresh = await sync();
    const [stored] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM event`;
    if (stored?.n !== total) throw new Error(`stored ${stored?.n} of ${total} events`);
    // forget about a fifth of the events (first id byte below 51 of 256), so 80 % are already stored
    await sql`DELETE FROM event_relay WHERE get_byte(event_id, 0) < 51`;
    const [gone] = await sql<{ n: number }[]>`WITH d AS (DELETE FROM event WHERE get_byte(id, 0) < 51 RETURNING 1)
      SELECT count(*)::int AS n FROM d`;
    await sql`DELETE FROM service_state WHERE service_name = 'synchronizer'`;
    const again = await sync();
    const [after] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM event`;
    if (after?.n !== total) throw new Error(`second run: stored ${after?.n} of ${total} events`);
    return [
      `${total.toLocaleString('en-US')} events from ${relays} relays of a farm in a child process; limit ${limit}, batches of ${batch}, ${pool.threads} verifier threads`,
      `all new: ${fresh.seconds.toFixed(1)} s, ${rate(total, fresh.seconds)}; synchronizer RSS peak ${mib(fresh.peak)} (${mib(fresh.baseline)} before the run; V8 heap peak ${mib(fresh.heapPeak)})`,
      `${(100 - (100 * (gone?.n ?? 0)) / total).toFixed(1)} % already stored (cursors reset): ${again.seconds.toFixed(1)} s, ${rate(total, again.seconds)}; RSS peak ${mib(again.peak)}`,
    ];
  });
}
