/**
 * PostgreSQL's own ceiling for the synchronizer's writes, with no relay, parsing or verification in the way:
 * synthetic events (random ids, 200 authors, 200-byte contents, no tags) written as the writer writes them —
 * `event_insert` then `event_relay_insert` in one transaction per batch of 1,000, in id order, three
 * transactions at once, `synchronous_commit = off` — once with the server's default plan cache mode and once
 * with the generic plans the writer asks for, and once events alone (no sightings) for comparison.
 * BIGBROTR_BENCH_INSERT_EVENTS (default 300,000) per variant, each into a fresh database.
 */
import { randomBytes } from 'node:crypto';
import type postgres from 'postgres';
import { insertEventRelays, insertEvents, insertRelays } from '../src/core/db/store.js';
import type { EventId, NostrEvent, Pubkey } from '../src/models/event.js';
import type { RelayUrl } from '../src/models/relay.js';
import { withBenchDatabase } from './service-bench.js';

const BATCH = 1000;
const CONNECTIONS = 3;
const RELAYS = 50;
const relayUrl = (i: number) => `wss://r${i % RELAYS}.example.com` as RelayUrl;

function syntheticBatches(total: number): NostrEvent[][] {
  const authors = Array.from({ length: 200 }, () => randomBytes(32).toString('hex') as Pubkey);
  const batches: NostrEvent[][] = [];
  for (let start = 0; start < total; start += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, total - start) }, (_, j) => {
      const i = start + j;
      return {
        id: randomBytes(32).toString('hex') as EventId,
        pubkey: authors[i % authors.length] as Pubkey,
        created_at: 1_700_000_000 + i,
        kind: 1,
        tags: [],
        content: `event ${i} `.padEnd(200, 'x'),
        sig: randomBytes(64).toString('hex'),
      };
    });
    batches.push(batch.sort((a, b) => (a.id < b.id ? -1 : 1)));
  }
  return batches;
}

async function write(
  sql: postgres.Sql,
  batches: readonly NostrEvent[][],
  opts: { generic: boolean; sightings: boolean },
): Promise<number> {
  await insertRelays(
    sql,
    Array.from({ length: RELAYS }, (_, i) => ({ url: relayUrl(i), network: 'clearnet' as const, discoveredAt: 1 })),
  );
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      for (let b = batches[next++]; b; b = batches[next++]) {
        const batch = b;
        await sql.begin(async (tx) => {
          await tx`SET LOCAL synchronous_commit = off`;
          if (opts.generic) await tx`SET LOCAL plan_cache_mode = force_generic_plan`;
          await insertEvents(tx, batch);
          if (opts.sightings)
            await insertEventRelays(
              tx,
              batch.map((e, i) => ({ eventId: e.id, relayUrl: relayUrl(i), seenAt: 1_700_000_000 })),
            );
        });
      }
    }),
  );
  return (performance.now() - started) / 1000;
}

/** Run the insert benchmark. */
export default async function bench(): Promise<string[]> {
  const total = Number(process.env.BIGBROTR_BENCH_INSERT_EVENTS ?? 300_000);
  const batches = syntheticBatches(total);
  const rate = (s: number) => `${Math.round(total / s).toLocaleString('en-US')} events/s (${s.toFixed(1)} s)`;
  const variants = [
    { name: 'events + sightings, default plan cache mode', generic: false, sightings: true },
    { name: 'events + sightings, generic plans (the writer)', generic: true, sightings: true },
    { name: 'events alone, generic plans', generic: true, sightings: false },
  ];
  const lines = [
    `${total.toLocaleString('en-US')} synthetic events, batches of ${BATCH}, ${CONNECTIONS} transactions at once`,
  ];
  for (const v of variants) {
    const seconds = await withBenchDatabase('bb_insert_bench', (sql) => write(sql, batches, v));
    lines.push(`${v.name}: ${rate(seconds)}`);
  }
  return lines;
}
