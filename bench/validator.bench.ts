/**
 * The validator against a local relay farm: 10,000 candidates, each a real relay over a loopback WebSocket,
 * checked (connect, REQ, protocol answer) and promoted. The farm runs in a child process, so the RSS measured is
 * the validator's own. Uses BIGBROTR_BENCH_DATABASE_URL (admin URL) or the embedded PostgreSQL.
 */
import { insertCandidates } from '../src/core/db/candidates.js';
import type { RelayUrl } from '../src/models/relay.js';
import { validatorConfigSchema } from '../src/services/validator/config.js';
import { createValidator } from '../src/services/validator/validator.js';
import { recordingDeps } from '../src/testing/service-deps.js';
import { startChildFarm } from './farm-child.js';
import { measured, mib, withBenchDatabase } from './service-bench.js';

/** Run the validator benchmark. */
export default async function bench(): Promise<string[]> {
  const count = Number(process.env.BIGBROTR_BENCH_VALIDATOR_RELAYS ?? 10_000);
  await using farm = await startChildFarm({ count, eventsPerRelay: 0, info: { supported_nips: [1, 11] } });
  // `return await`: the farm must outlive the run (it is disposed on return)
  return await withBenchDatabase('bb_validator_bench', async (sql) => {
    const candidates = farm.urls.map((u) => ({ url: u as RelayUrl, network: 'local' as const }));
    await insertCandidates(sql, candidates, 1);
    const config = validatorConfigSchema.parse({
      networks: { clearnet: { enabled: false }, local: { enabled: true, max_tasks: 200, timeout: 10 } },
      processing: { chunk_size: 1000 },
    });
    const run = await measured(() => createValidator(recordingDeps(sql), config).cycle(new AbortController().signal));
    const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM relay`;
    if (row?.n !== count) throw new Error(`only ${row?.n} of ${count} relays were validated`);
    return [
      `${count.toLocaleString('en-US')} candidates, each a test relay of a farm in a child process; local network, max_tasks 200, chunks of 1,000`,
      `validated ${row?.n ?? 0} relays in ${run.seconds.toFixed(1)} s: ${Math.round(count / run.seconds).toLocaleString('en-US')} relays/s`,
      `validator process memory: RSS ${mib(run.baseline)} before, peak ${mib(run.peak)} while validating`,
    ];
  });
}
