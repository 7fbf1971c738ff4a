/** Event verification (id sha256 + BIP-340 signature): single thread per backend, and the worker pool. */
import { hasValidId, type NostrEvent } from '../src/models/event.js';
import { loadBcryptoBackend, nobleBackend, verifySchnorr } from '../src/models/schnorr.js';
import { generateEvents } from '../src/testing/events.js';
import { createVerifierPool } from '../src/utils/verifier/pool.js';

function rate(n: number, ms: number): string {
  return `${Math.round((n / ms) * 1000).toLocaleString('en-US')} events/s`;
}

function singleThread(events: readonly NostrEvent[], backend = loadBcryptoBackend() ?? nobleBackend): string {
  const start = performance.now();
  let ok = 0;
  for (const e of events) {
    if (
      hasValidId(e) &&
      verifySchnorr(Buffer.from(e.sig, 'hex'), Buffer.from(e.id, 'hex'), Buffer.from(e.pubkey, 'hex'), backend)
    )
      ok++;
  }
  if (ok !== events.length) throw new Error('verification failed');
  return rate(events.length, performance.now() - start);
}

/** Run the verification benchmark. */
export default async function bench(): Promise<string[]> {
  const events = generateEvents(100_000, {
    seed: 42,
    pubkeys: 100,
    contentSize: 200,
    tags: (i) => [
      ['e', (i * 7919).toString(16).padStart(64, '0')],
      ['t', 'nostr'],
    ],
  });
  const lines = [`events: ${events.length} (200-byte content, 2 tags)`];
  // the writer and the importer recompute the id of every copy, duplicates included (docs/design/write-path.md)
  const started = performance.now();
  if (!events.every(hasValidId)) throw new Error('id recomputation failed');
  lines.push(
    `id recomputation alone (JSON + SHA-256, every copy): ${rate(events.length, performance.now() - started)}`,
  );
  lines.push(`single thread, bcrypto native: ${singleThread(events)}`);
  lines.push(`single thread, noble (2,000 events): ${singleThread(events.slice(0, 2000), nobleBackend)}`);
  for (const threads of [1, 2]) {
    await using pool = createVerifierPool({ threads });
    await pool.verify(events.slice(0, 1000));
    const start = performance.now();
    for (let i = 0; i < events.length; i += 5000) {
      const flags = await pool.verify(events.slice(i, i + 5000));
      if (flags.includes(0)) throw new Error('verification failed');
    }
    lines.push(
      `worker pool, ${threads} thread(s), ${await pool.backend}, batches of 5,000: ${rate(events.length, performance.now() - start)}`,
    );
  }
  return lines;
}
