/** The writer on lilbrotr, which stores no signature: a stored event's copies are proven by Schnorr instead. */
import { describe, expect, it } from 'vitest';
import { auditEvents } from '../../core/db/audit.js';
import { insertRelays } from '../../core/db/store.js';
import type { Relay, RelayUrl } from '../../models/relay.js';
import { generateEvents } from '../../testing/events.js';
import { useTestDatabase } from '../../testing/vitest/db.js';
import { useVerifierPool } from '../../testing/vitest/verifier-pool.js';
import { createEventWriter } from './writer.js';

const db = useTestDatabase('lilbrotr');
const pool = useVerifierPool();
const relay = (name: string): Relay => ({ url: `ws://${name}.test` as RelayUrl, network: 'local', discoveredAt: 1 });

describe('event writer on lilbrotr', () => {
  it('credits honest copies of stored events and refuses forged ones, without a stored signature to compare', async () => {
    const [honest, forger, other] = [relay('honest'), relay('forger'), relay('other')];
    await insertRelays(db.sql, [honest, forger, other]);
    const events = generateEvents(60, { seed: 71 });
    const writer = () => createEventWriter({ sql: db.sql, pool: pool(), batchSize: 25, now: () => 1 });
    const first = writer();
    await first.add(honest, events);
    await first.flush();
    // a new writer: nothing remembered, and the database holds no signature
    const later = writer();
    await later.add(
      forger,
      events.map((e) => ({ ...e, content: `${e.content}!` })),
    );
    await later.add(
      forger,
      events.map((e) => ({ ...e, sig: `${e.sig.slice(0, 127)}${e.sig[127] === 'a' ? 'b' : 'a'}` })),
    );
    await later.add(other, events);
    await later.flush();
    expect(later.stats).toMatchObject({ invalid: 120, inserted: 0, duplicates: 60 });
    expect(later.refusedFrom(forger.url)).toEqual({ 'id does not match the event': 60, 'invalid signature': 60 });
    const rows =
      await db.sql`SELECT relay_url, count(*)::int AS n FROM event_relay GROUP BY relay_url ORDER BY relay_url`;
    expect(rows.map((r) => [r.relay_url, r.n])).toEqual([
      [honest.url, 60],
      [other.url, 60],
    ]);
    // and the audit says it cannot vouch for these rows
    const report = await auditEvents(db.sql, { verify: (e) => pool().verify(e) });
    expect(report).toMatchObject({ verifiable: false, events: 60 });
  });
});
