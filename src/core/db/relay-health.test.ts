import { describe, expect, it } from 'vitest';
import { buildMetadata } from '../../models/metadata.js';
import type { Relay, RelayUrl } from '../../models/relay.js';
import { useTestDatabase } from '../../testing/vitest/db.js';
import { relayHealth } from './relay-health.js';
import { insertRelayMetadataCascade } from './store.js';

const db = useTestDatabase('bigbrotr');
const relay: Relay = { url: 'wss://h.example.com' as RelayUrl, network: 'clearnet', discoveredAt: 1 };
const rtt = (open: number | null) =>
  buildMetadata(
    'nip66_rtt',
    open === null
      ? { logs: { open_success: false, open_reason: 'timeout', read_success: false, write_success: false } }
      : {
          data: { rtt_open: open, rtt_read: open * 2 },
          logs: { open_success: true, read_success: true, write_success: false },
        },
  );

describe('relayHealth', () => {
  it('gives uptime and latency percentiles per window from the stored rtt documents', async () => {
    const now = 10_000_000;
    const hour = 3_600;
    // last 24 h: 10 checks, 2 offline; 3 days ago: one slow check; 20 days ago: offline
    const opens = [10, 20, 30, 40, 50, 60, 70, 80, null, null];
    const rows = [
      ...opens.map((o, i) => ({ relay, metadata: rtt(o), generatedAt: now - i * hour })),
      { relay, metadata: rtt(1_000), generatedAt: now - 3 * 24 * hour },
      { relay, metadata: rtt(null), generatedAt: now - 20 * 24 * hour },
    ];
    await insertRelayMetadataCascade(db.sql, rows);
    const [day] = await relayHealth(db.sql, { window: '24h', now });
    expect(day).toMatchObject({ url: relay.url, checks: 10, uptime: 0.8, openP50: 45, readP50: 90, writeP50: null });
    expect(day?.openP95).toBeCloseTo(76.5);
    const [week] = await relayHealth(db.sql, { window: '7d', now, url: relay.url });
    expect(week).toMatchObject({ checks: 11, openP50: 50 });
    expect(week?.uptime).toBeCloseTo(9 / 11);
    const [month] = await relayHealth(db.sql, { window: '30d', now });
    expect(month).toMatchObject({ checks: 12, uptime: 0.75 });
    expect(await relayHealth(db.sql, { window: '24h', now, url: 'wss://other.example.com' })).toEqual([]);
  });
});
