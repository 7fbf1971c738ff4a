/** Shared pieces of the service benchmarks: a fresh bigbrotr database, and timing with peak RSS. */
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { applySqlDir, createDatabase, dropDatabase, initSqlDir } from '../src/testing/databases.js';
import { startTestServer } from '../src/testing/vitest/server.js';

const root = fileURLToPath(new URL('..', import.meta.url));

/** MiB, rounded. */
export const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/**
 * Run `fn` with a client of a fresh database holding the bigbrotr schema, on BIGBROTR_BENCH_DATABASE_URL (an admin
 * URL) or the embedded PostgreSQL; the database is dropped afterwards.
 */
export async function withBenchDatabase<T>(
  name: string,
  fn: (sql: postgres.Sql, url: string) => Promise<T>,
): Promise<T> {
  const admin = process.env.BIGBROTR_BENCH_DATABASE_URL;
  const server = admin ? { adminUrl: admin, stop: async () => {} } : await startTestServer();
  const url = await createDatabase(server.adminUrl, name);
  await applySqlDir(url, initSqlDir(root, 'bigbrotr'));
  const sql = postgres(url, { max: 8, onnotice: () => {} });
  try {
    return await fn(sql, url);
  } finally {
    await sql.end({ timeout: 5 });
    await dropDatabase(server.adminUrl, name);
    await server.stop();
  }
}

/** Time `fn` and sample this process's RSS (and V8 heap) every 50 ms while it runs. */
export async function measured(
  fn: () => Promise<unknown>,
): Promise<{ seconds: number; baseline: number; peak: number; heapPeak: number }> {
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  let heapPeak = 0;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peak = Math.max(peak, m.rss);
    heapPeak = Math.max(heapPeak, m.heapUsed);
  }, 50);
  const started = performance.now();
  try {
    await fn();
  } finally {
    clearInterval(sampler);
  }
  return {
    seconds: (performance.now() - started) / 1000,
    baseline,
    peak: Math.max(peak, process.memoryUsage().rss),
    heapPeak,
  };
}
