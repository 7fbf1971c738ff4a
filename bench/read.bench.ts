/**
 * The read path from one local relay over a WebSocket: receive, parse strictly, check the filter, then id and
 * signature on the verifier pool (both cores). The relay runs in the same process, so it competes for the CPU.
 */

import type { NostrEvent } from '../src/models/event.js';
import { connectRelay } from '../src/nips/nip01/connection.js';
import { subscribe } from '../src/nips/nip01/subscription.js';
import { generateEvents } from '../src/testing/events.js';
import { startTestRelay } from '../src/testing/relay/relay.js';
import { createVerifierPool } from '../src/utils/verifier/pool.js';

const rate = (n: number, ms: number): string => `${Math.round((n / ms) * 1000).toLocaleString('en-US')} events/s`;

/** Run the read-path benchmark. */
export default async function bench(): Promise<string[]> {
  const total = 100_000;
  const events = generateEvents(total, {
    seed: 71,
    pubkeys: 100,
    contentSize: 200,
    tags: (i) => [
      ['e', (i * 7919).toString(16).padStart(64, '0')],
      ['t', 'nostr'],
    ],
  });
  await using relay = await startTestRelay({
    events,
    info: { supported_nips: [1, 11], limitation: { max_limit: total } },
  });
  await using pool = createVerifierPool();
  await pool.verify(events.slice(0, 1000)); // warm the workers
  const c = await connectRelay(relay.url, { network: 'local', allowLocal: true });
  if (!c.ok) throw new Error(`connect: ${c.reason}`);
  const started = performance.now();
  const inFlight: Promise<Uint8Array>[] = [];
  let batch: NostrEvent[] = [];
  let valid = 0;
  const settle = async (keep: number): Promise<void> => {
    while (inFlight.length > keep) for (const f of await (inFlight.shift() as Promise<Uint8Array>)) valid += f;
  };
  const sub = subscribe(c.value, [{}], { highWaterMark: 5_000 });
  for await (const e of sub) {
    batch.push(e);
    if (batch.length === 2_000) {
      inFlight.push(pool.verify(batch));
      batch = [];
      await settle(2);
    }
  }
  inFlight.push(pool.verify(batch));
  await settle(0);
  const ms = performance.now() - started;
  c.value.close();
  if (valid !== total || !sub.outcome?.ok)
    throw new Error(`read ${valid}/${total} valid, outcome ${JSON.stringify(sub.outcome)}`);
  return [
    `events: ${total.toLocaleString('en-US')} (200-byte content, 2 tags), one REQ, relay in the same process`,
    `receive + parse + filter + id + signature (${pool.threads} verifier threads, ${await pool.backend}): ${rate(total, ms)}`,
  ];
}
