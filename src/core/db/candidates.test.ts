import { describe, expect, it } from 'vitest';
import type { RelayUrl } from '../../models/relay.js';
import { useTestDatabase } from '../../testing/vitest/db.js';
import { countCandidates, insertCandidates } from './candidates.js';
import { getServiceState, insertRelays, upsertServiceState } from './store.js';

const db = useTestDatabase('bigbrotr');
const url = (n: number) => `wss://c${n}.example.com` as RelayUrl;

describe('candidates', () => {
  it('inserts new candidates once, skipping relays and existing candidates (failures kept)', async () => {
    await insertRelays(db.sql, [{ url: url(1), network: 'clearnet', discoveredAt: 1 }]);
    await upsertServiceState(db.sql, [
      {
        serviceName: 'validator',
        stateType: 'checkpoint',
        stateKey: url(2),
        stateValue: { network: 'clearnet', failures: 3, timestamp: 5 },
      },
    ]);
    const batch = [1, 2, 3, 3, 4].map((n) => ({ url: url(n), network: 'clearnet' as const }));
    expect(await insertCandidates(db.sql, batch, 100, { batchSize: 2 })).toBe(2);
    expect(await insertCandidates(db.sql, batch, 200)).toBe(0);
    const rows = await getServiceState(db.sql, 'validator', 'checkpoint');
    expect(rows.map((r) => [r.stateKey, r.stateValue])).toEqual([
      [url(2), { network: 'clearnet', failures: 3, timestamp: 5 }],
      [url(3), { network: 'clearnet', failures: 0, timestamp: 100 }],
      [url(4), { network: 'clearnet', failures: 0, timestamp: 100 }],
    ]);
    expect(await countCandidates(db.sql)).toBe(3);
  });
});
