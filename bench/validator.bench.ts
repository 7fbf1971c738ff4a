/**
 * The validator against a local relay farm: 10,000 candidates, each a real relay over a loopback WebSocket,
 * checked (connect, REQ, protocol answer) and promoted. The farm runs in a child process, so the RSS measured is
 * the validator's own. Uses BIGBROTR_BENCH_DATABASE_URL (admin URL) or the embedded PostgreSQL.
 */
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { insertCandidates } from '../src/core/db/candidates.js';
import type { RelayUrl } from '../src/models/relay.js';
import { validatorConfigSchema } from '../src/services/validator/config.js';
import { createValidator } from '../src/services/validator/validator.js';
import { applySqlDir, createDatabase, dropDatabase, initSqlDir } from '../src/testing/databases.js';
import { recordingDeps } from '../src/testing/service-deps.js';
import { startTestServer } from '../src/testing/vitest/server.js';
import { startChildFarm } from './farm-child.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** Run the validator benchmark. */
export default async function bench(): Promise<string[]> {
  const count = Number(process.env.BIGBROTR_BENCH_VALIDATOR_RELAYS ?? 10_000);
  const admin = process.env.BIGBROTR_BENCH_DATABASE_URL;
  const server = admin ? { adminUrl: admin, stop: async () => {} } : await startTestServer();
  const name = 'bb_validator_bench';
  const url = await createDatabase(server.adminUrl, name);
  await applySqlDir(url, initSqlDir(root, 'bigbrotr'));
  const sql = postgres(url, { max: 4, onnotice: () => {} });
  await using farm = await startChildFarm({ count, eventsPerRelay: 0, info: { supported_nips: [1, 11] } });
  try {
    await insertCandidates(
      sql,
      farm.urls.map((u) => ({ url: u as RelayUrl, network: 'local' as const })),
      1,
    );
    const config = validatorConfigSchema.parse({
      networks: { clearnet: { enabled: false }, local: { enabled: true, max_tasks: 200, timeout: 10 } },
      processing: { chunk_size: 1000 },
    });
    const deps = recordingDeps(sql);
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    const started = performance.now();
    await createValidator(deps, config).cycle(new AbortController().signal);
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM relay`;
    return [
      `${count.toLocaleString('en-US')} candidates, each a test relay of a farm in a child process; local network, max_tasks 200, chunks of 1,000`,
      `validated ${row?.n ?? 0} relays in ${seconds.toFixed(1)} s: ${Math.round(count / seconds).toLocaleString('en-US')} relays/s`,
      `validator process memory (farm in a child process): RSS ${mib(baseline)} before, peak ${mib(peak)} while validating`,
    ];
  } finally {
    await sql.end({ timeout: 5 });
    await dropDatabase(server.adminUrl, name);
    await server.stop();
  }
}
