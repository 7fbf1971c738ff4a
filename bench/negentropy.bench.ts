/**
 * What NIP-77 saves on a relay that is 99 % synchronized: one test relay holding
 * BIGBROTR_BENCH_NEG_EVENTS events (default 20,000) over 30 days; the database already holds 99 % of them from
 * that relay; the synchronizer walks the relay's whole history from its first second, once with negentropy and
 * once with REQ windows only. Bytes are every byte of the WebSocket both ways; requests are REQ pages plus
 * negentropy round trips. Then the cost of the trailing re-check of late events: a cycle an hour later on the
 * now complete relay, with the re-check off, by NIP-77 (a day reconciled) and by REQ (an hour walked again).
 */
import { insertEventRelaysCascade, insertRelays } from '../src/core/db/store.js';
import type { RelayUrl } from '../src/models/relay.js';
import { synchronizerConfigSchema } from '../src/services/synchronizer/config.js';
import { createSynchronizer } from '../src/services/synchronizer/synchronizer.js';
import { generateEvents } from '../src/testing/events.js';
import { startTestRelay } from '../src/testing/relay/relay.js';
import { recordingDeps } from '../src/testing/service-deps.js';
import { createVerifierPool } from '../src/utils/verifier/pool.js';
import { withBenchDatabase } from './service-bench.js';

const NOW = 1_700_000_000;

/** Run the negentropy benchmark. */
export default async function bench(): Promise<string[]> {
  const count = Number(process.env.BIGBROTR_BENCH_NEG_EVENTS ?? 20_000);
  const events = generateEvents(count, {
    seed: 71,
    pubkeys: 100,
    contentSize: 200,
    createdAt: (i) => NOW - 30 * 86_400 + Math.floor((i * 30 * 86_400) / count),
  });
  await using relay = await startTestRelay({
    events,
    info: { supported_nips: [1, 11, 77], limitation: { max_limit: 500 } },
  });
  await using pool = createVerifierPool();
  return await withBenchDatabase('bb_negentropy_bench', async (sql) => {
    const row = { url: relay.url as RelayUrl, network: 'local' as const, discoveredAt: 1 };
    await insertRelays(sql, [row]);
    const held = events.filter((_, i) => i % 100 !== 0);
    const missingIds = events.filter((_, i) => i % 100 === 0).map((e) => e.id as string);
    await insertEventRelaysCascade(
      sql,
      held.map((event) => ({ event, relay: row, seenAt: NOW })),
      { batchSize: 2000 },
    );
    const run = async (negentropy: boolean) => {
      await sql`DELETE FROM service_state WHERE service_name = 'synchronizer'`;
      // back to 99 %: forget the hundredth of the events the previous run fetched
      const missing = missingIds;
      await sql`DELETE FROM event_relay WHERE event_id IN (SELECT decode(x, 'hex') FROM unnest(${missing}::text[]) AS x)`;
      await sql`DELETE FROM event WHERE id IN (SELECT decode(x, 'hex') FROM unnest(${missing}::text[]) AS x)`;
      const deps = { ...recordingDeps(sql, { now: () => NOW }), pool };
      const config = synchronizerConfigSchema.parse({
        networks: { clearnet: { enabled: false }, local: { enabled: true, timeout: 10 } },
        processing: { limit: 500, end_lag: 0, since: NOW - 31 * 86_400, negentropy },
      });
      const started = performance.now();
      await createSynchronizer(deps, config).cycle(new AbortController().signal);
      const seconds = (performance.now() - started) / 1000;
      const c = (name: string): number => deps.counters.get(name) ?? 0;
      const [n] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM event_relay WHERE relay_url = ${relay.url}`;
      if (n?.n !== count) throw new Error(`holds ${n?.n} of ${count} sightings after the run`);
      return {
        seconds,
        bytes: c('relay_bytes'),
        requests: c('req_requests') + c('negentropy_requests'),
        fetched: c('negentropy_events_fetched'),
      };
    };
    const req = await run(false);
    const neg = await run(true);
    // the relay is now complete up to NOW: a cycle an hour later walks the new hour, plus the re-check
    const later = async (processing: Record<string, unknown>) => {
      const deps = { ...recordingDeps(sql, { now: () => NOW + 3_600 }), pool };
      const config = synchronizerConfigSchema.parse({
        networks: { clearnet: { enabled: false }, local: { enabled: true, timeout: 10 } },
        processing: { limit: 500, end_lag: 0, since: NOW - 31 * 86_400, ...processing },
      });
      const started = performance.now();
      await createSynchronizer(deps, config).cycle(new AbortController().signal);
      await sql`UPDATE service_state SET state_value = jsonb_set(state_value, '{timestamp}', ${NOW}::text::jsonb)
        WHERE service_name = 'synchronizer' AND state_type = 'cursor'`;
      const c = (name: string): number => deps.counters.get(name) ?? 0;
      return { seconds: (performance.now() - started) / 1000, bytes: c('relay_bytes'), recheck: c('recheck_bytes') };
    };
    const off = await later({ recheck_span: 0, recheck_req_span: 0 });
    const byNeg = await later({});
    const byReq = await later({ negentropy: false });
    const kib = (b: number): string => `${(b / 1024).toLocaleString('en-US', { maximumFractionDigits: 1 })} KiB`;
    return [
      `${count.toLocaleString('en-US')} events on one local relay (max_limit 500), 99 % already held from it`,
      `REQ windows: ${kib(req.bytes)}, ${req.requests} requests, ${req.seconds.toFixed(1)} s`,
      `NIP-77 windows: ${kib(neg.bytes)}, ${neg.requests} requests (${neg.fetched} events fetched), ${neg.seconds.toFixed(1)} s`,
      `saved: ${(100 - (100 * neg.bytes) / req.bytes).toFixed(1)} % of the bytes, ${req.requests - neg.requests} requests`,
      `a cycle an hour later: re-check off ${kib(off.bytes)}, ${off.seconds.toFixed(2)} s; NIP-77 re-check of a day ` +
        `${kib(byNeg.bytes)} (${kib(byNeg.recheck)} of it the re-check), ${byNeg.seconds.toFixed(2)} s; REQ re-check ` +
        `of an hour ${kib(byReq.bytes)} (${kib(byReq.recheck)}), ${byReq.seconds.toFixed(2)} s`,
    ];
  });
}
