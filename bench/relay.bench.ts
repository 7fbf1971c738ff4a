/**
 * The archive as a relay (docs/relay.md): BIGBROTR_BENCH_RELAY_EVENTS (default 1,000,000) synthetic events written
 * straight into the event table by SQL (random ids and bytes for signatures: the endpoint serves what is stored,
 * it does not verify; 4 kinds, 1,000 authors, one per second, 200-byte content), then the API's /relay endpoint:
 *
 * - a kinds filter served end to end: every kind-1 event (a quarter of the archive) by REQs of `limit` 5,000
 *   paged with `until`, each frame parsed by a raw WebSocket client (no signature check: that is the client's
 *   cost, see the read benchmark);
 * - NIP-77: nostr-tools' initiator holding 99 % of the archive's ids reconciles the whole archive
 *   (`negentropy_max_records` raised above its size) and learns the 1 % it lacks.
 */

import { nip77 } from 'nostr-tools';
import WebSocket from 'ws';
import { createApi } from '../src/services/api/api.js';
import { apiConfigSchema } from '../src/services/api/config.js';
import { recordingDeps } from '../src/testing/service-deps.js';
import { mib, withBenchDatabase } from './service-bench.js';

const T0 = 1_600_000_000;
const BATCH = 100_000;

/** Run the relay benchmark. */
export default async function bench(): Promise<string[]> {
  const count = Number(process.env.BIGBROTR_BENCH_RELAY_EVENTS ?? 1_000_000);
  return await withBenchDatabase('bb_relay_bench', async (sql) => {
    const built = performance.now();
    for (let from = 0; from < count; from += BATCH) {
      const to = Math.min(count, from + BATCH) - 1;
      await sql`INSERT INTO event (id, pubkey, created_at, kind, tags, tagvalues, content, sig)
        SELECT decode(md5(i::text) || md5('id' || i), 'hex'),
               decode(md5('pk' || (i % 1000)) || md5('pk2' || (i % 1000)), 'hex'),
               ${T0}::bigint + i, (ARRAY[1, 7, 6, 1111])[1 + i % 4], '[["t","bench"]]'::jsonb, ARRAY['t:bench'],
               repeat('x', 200), decode(md5('s' || i) || md5('t' || i) || md5('u' || i) || md5('v' || i), 'hex')
        FROM generate_series(${from}::int, ${to}::int) AS i`;
    }
    await sql`ANALYZE event`;
    const buildSeconds = (performance.now() - built) / 1000;
    const config = {
      ...apiConfigSchema.parse({
        tables: { event: { enabled: true } },
        relay: { max_limit: 5000, negentropy_max_records: count + 1 },
      }),
      host: '127.0.0.1',
      port: 0,
    };
    const api = await createApi({ ...recordingDeps(sql), rateLimit: false }, config);
    const url = `${api.url.replace(/^http/, 'ws')}/relay`;
    try {
      const ws = new WebSocket(url);
      await new Promise((r) => ws.once('open', r));
      const served = await serveKind(ws, 1);
      const neg = await reconcile(ws, sql, count);
      ws.close();
      const rate = (n: number, s: number): string => Math.round(n / s).toLocaleString('en-US');
      return [
        `${count.toLocaleString('en-US')} events built by SQL in ${buildSeconds.toFixed(0)} s`,
        `REQ {kinds:[1]}, limit 5,000, paged by until: ${served.events.toLocaleString('en-US')} events in ${served.seconds.toFixed(1)} s = ${rate(served.events, served.seconds)} events/s (${served.reqs} REQs, ${mib(served.bytes)})`,
        `NIP-77 over the whole archive, client holding 99 %: ${neg.need.toLocaleString('en-US')} ids found missing in ${neg.seconds.toFixed(1)} s (NEG-OPEN to the end, ${neg.rounds} round trips, ${mib(neg.bytes)} both ways; first answer after ${neg.firstSeconds.toFixed(1)} s)`,
      ];
    } finally {
      await api.close();
    }
  });
}

/** Every event of `kind`, newest first, by REQs of 5,000 paged with `until`. */
async function serveKind(ws: WebSocket, kind: number) {
  let until: number | undefined;
  let events = 0;
  let reqs = 0;
  let bytes = 0;
  const started = performance.now();
  for (;;) {
    const page = await new Promise<{ n: number; oldest: number | undefined }>((resolve) => {
      let n = 0;
      let oldest: number | undefined;
      const onMessage = (data: WebSocket.RawData): void => {
        bytes += (data as Buffer).length;
        const msg = JSON.parse(String(data)) as [string, string, { created_at: number }];
        if (msg[0] === 'EVENT') {
          n += 1;
          oldest = msg[2].created_at;
        } else {
          ws.off('message', onMessage);
          resolve({ n, oldest });
        }
      };
      ws.on('message', onMessage);
      ws.send(
        JSON.stringify(['REQ', `k${reqs}`, { kinds: [kind], limit: 5000, ...(until === undefined ? {} : { until }) }]),
      );
    });
    reqs += 1;
    ws.send(JSON.stringify(['CLOSE', `k${reqs - 1}`]));
    events += page.n;
    if (page.n < 5000 || page.oldest === undefined) break;
    until = page.oldest - 1;
  }
  return { events, reqs, bytes, seconds: (performance.now() - started) / 1000 };
}

/** Reconcile the whole archive holding 99 % of it. */
async function reconcile(ws: WebSocket, sql: import('postgres').Sql, count: number) {
  const storage = new nip77.NegentropyStorageVector();
  const rows = await sql<{ t: string; id: string }[]>`
    SELECT created_at::text AS t, encode(id, 'hex') AS id FROM event`;
  let skipped = 0;
  for (const [i, r] of rows.entries()) {
    if (i % 100 === 0) skipped += 1;
    else storage.insert(Number(r.t), r.id);
  }
  storage.seal();
  const neg = new nip77.Negentropy(storage, 60_000);
  const need: string[] = [];
  let rounds = 0;
  let bytes = 0;
  let firstSeconds = 0;
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const onMessage = (data: WebSocket.RawData): void => {
      bytes += (data as Buffer).length;
      const msg = JSON.parse(String(data)) as string[];
      if (msg[0] !== 'NEG-MSG') return void reject(new Error(`unexpected ${String(data).slice(0, 200)}`));
      if (rounds === 0) firstSeconds = (performance.now() - started) / 1000;
      rounds += 1;
      const next = neg.reconcile(msg[2] as string, undefined, (id) => void need.push(id));
      if (next === null) {
        ws.off('message', onMessage);
        ws.send(JSON.stringify(['NEG-CLOSE', 'n']));
        return void resolve();
      }
      bytes += next.length;
      ws.send(JSON.stringify(['NEG-MSG', 'n', next]));
    };
    ws.on('message', onMessage);
    const first = neg.initiate();
    bytes += first.length;
    ws.send(JSON.stringify(['NEG-OPEN', 'n', {}, first]));
  });
  if (need.length !== skipped)
    throw new Error(`found ${need.length} missing ids, ${skipped} were left out of ${count}`);
  return { need: need.length, rounds, bytes, firstSeconds, seconds: (performance.now() - started) / 1000 };
}
