/**
 * Ingest end to end: a relay farm in a child process over loopback WebSockets → the synchronizer as
 * deployed (`node bin/bigbrotr.js synchronizer --once`, its own process, so its peak RSS is read from
 * /proc/<pid>/status VmHWM) → parse → dedupe → verify on the pool → PostgreSQL. First run: every event new;
 * second run (cursors reset, a fifth of the events deleted): 80 % already stored.
 * BIGBROTR_BENCH_INGEST_RELAYS × BIGBROTR_BENCH_INGEST_EVENTS (default 50 × 20,000 = 1,000,000);
 * BIGBROTR_BENCH_INGEST_LIMIT (500), BIGBROTR_BENCH_INGEST_BATCH (1,000): the spec defaults.
 * BIGBROTR_BENCH_INGEST_NIP77=1: the farm's relays speak NIP-77 (else they answer NEG-OPEN with a NOTICE, and the
 * synchronizer walks them with REQ windows). Needs `npm run build` (dist/).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { insertRelays } from '../src/core/db/store.js';
import type { RelayUrl } from '../src/models/relay.js';
import { runCli } from './cli-process.js';
import { startChildFarm } from './farm-child.js';
import { mib, withBenchDatabase } from './service-bench.js';

const rate = (n: number, s: number): string => `${Math.round(n / s).toLocaleString('en-US')} events/s`;

/** Run the synchronizer CLI once; wall time and peak RSS (VmHWM) of its process. */
const runSynchronizer = (url: string, config: string) => runCli(['synchronizer', '--once', '--config', config], url);

/** Run the ingest benchmark. */
export default async function bench(): Promise<string[]> {
  const relays = Number(process.env.BIGBROTR_BENCH_INGEST_RELAYS ?? 50);
  const perRelay = Number(process.env.BIGBROTR_BENCH_INGEST_EVENTS ?? 20_000);
  const limit = Number(process.env.BIGBROTR_BENCH_INGEST_LIMIT ?? 500);
  const batch = Number(process.env.BIGBROTR_BENCH_INGEST_BATCH ?? 1000);
  const total = relays * perRelay;
  const nip77 = process.env.BIGBROTR_BENCH_INGEST_NIP77 === '1';
  await using farm = await startChildFarm({
    count: relays,
    eventsPerRelay: perRelay,
    poolSize: total,
    info: { supported_nips: nip77 ? [1, 11, 77] : [1, 11], limitation: { max_limit: 5000 } },
  });
  const dir = await mkdtemp(join(tmpdir(), 'bb-ingest-'));
  const config = join(dir, 'synchronizer.yaml');
  await writeFile(
    config,
    [
      'networks:',
      '  clearnet: {enabled: false}',
      `  local: {enabled: true, max_tasks: ${relays}, timeout: 30}`,
      `processing: {limit: ${limit}, end_lag: 0, batch_size: ${batch}, since: 1600000000}`,
    ].join('\n'),
  );
  try {
    return await withBenchDatabase(`bb_ingest_bench_${process.pid}`, async (sql, url) => {
      await insertRelays(
        sql,
        farm.urls.map((u) => ({ url: u as RelayUrl, network: 'local' as const, discoveredAt: 1 })),
      );
      const fresh = await runSynchronizer(url, config);
      const [stored] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM event`;
      if (stored?.n !== total) throw new Error(`stored ${stored?.n} of ${total} events`);
      // forget about a fifth of the events (first id byte below 51 of 256), so 80 % are already stored
      await sql`DELETE FROM event_relay WHERE get_byte(event_id, 0) < 51`;
      const [gone] = await sql<{ n: number }[]>`WITH d AS (DELETE FROM event WHERE get_byte(id, 0) < 51 RETURNING 1)
        SELECT count(*)::int AS n FROM d`;
      await sql`DELETE FROM service_state WHERE service_name = 'synchronizer'`;
      const again = await runSynchronizer(url, config);
      const [after] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM event`;
      if (after?.n !== total) throw new Error(`second run: stored ${after?.n} of ${total} events`);
      const stillStored = 100 - (100 * (gone?.n ?? 0)) / total;
      return [
        `${total.toLocaleString('en-US')} events from ${relays} relays (${nip77 ? 'NIP-77' : 'REQ only'}) of a farm in a child process; the synchronizer CLI (dist) in its own process; limit ${limit}, batches of ${batch}`,
        `all new: ${fresh.seconds.toFixed(1)} s, ${rate(total, fresh.seconds)}; synchronizer peak RSS (VmHWM) ${mib(fresh.peak)}`,
        `${stillStored.toFixed(1)} % already stored (cursors reset): ${again.seconds.toFixed(1)} s, ${rate(total, again.seconds)}; peak RSS ${mib(again.peak)}`,
      ];
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
