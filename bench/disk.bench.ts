/**
 * Disk use of the same 20,000 events stored by bigbrotr and by lilbrotr (no tags, content or signatures).
 * Uses BIGBROTR_BENCH_DATABASE_URL (an admin URL) when set, else starts the embedded PostgreSQL.
 */
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { insertEvents } from '../src/core/db/store.js';
import { applySqlDir, createDatabase, type Deployment, dropDatabase, initSqlDir } from '../src/testing/databases.js';
import { generateEvents } from '../src/testing/events.js';
import { startTestServer } from '../src/testing/vitest/server.js';

const root = fileURLToPath(new URL('..', import.meta.url));

interface Sizes {
  data: number;
  total: number;
}

async function measure(adminUrl: string, deployment: Deployment, events: ReturnType<typeof generateEvents>) {
  const name = `bb_disk_bench_${deployment}`;
  const url = await createDatabase(adminUrl, name);
  await applySqlDir(url, initSqlDir(root, deployment));
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await insertEvents(sql, events, { batchSize: 1000 });
    await sql`VACUUM ANALYZE event`;
    const [row] = await sql<{ data: string; total: string }[]>`
      SELECT sum(pg_table_size(inhrelid))::text AS data, sum(pg_total_relation_size(inhrelid))::text AS total
      FROM pg_inherits WHERE inhparent = 'event'::regclass`;
    return { data: Number(row?.data), total: Number(row?.total) } satisfies Sizes;
  } finally {
    await sql.end({ timeout: 5 });
    await dropDatabase(adminUrl, name);
  }
}

const mib = (n: number): string => `${(n / 2 ** 20).toFixed(1)} MiB`;

/** Run the disk benchmark. */
export default async function bench(): Promise<string[]> {
  const n = 20_000;
  const events = generateEvents(n, {
    seed: 11,
    pubkeys: 200,
    kinds: [1, 1, 1, 7, 0, 3],
    contentSize: 200,
    tags: (i) => [
      ['e', ((i * 2654435761) % 2 ** 32).toString(16).padStart(64, '0')],
      ['p', (i % 997).toString(16).padStart(64, '0')],
      ['t', 'nostr'],
    ],
  });
  const bench = process.env.BIGBROTR_BENCH_DATABASE_URL;
  const server = bench ? { adminUrl: bench, stop: async () => {} } : await startTestServer();
  try {
    const big = await measure(server.adminUrl, 'bigbrotr', events);
    const lil = await measure(server.adminUrl, 'lilbrotr', events);
    const less = (a: number, b: number): string => `${Math.round((1 - b / a) * 100)} % less`;
    return [
      `${n} events, 200-byte content, 3 tags; sizes of the event partitions after VACUUM ANALYZE`,
      `table data (heap + TOAST): bigbrotr ${mib(big.data)}, lilbrotr ${mib(lil.data)} — ${less(big.data, lil.data)}`,
      `with indexes: bigbrotr ${mib(big.total)}, lilbrotr ${mib(lil.total)} — ${less(big.total, lil.total)}`,
    ];
  } finally {
    await server.stop();
  }
}
