import { recordLastCycle } from '../../core/db/cycles.js';
import { refreshAllStatistics } from '../../core/db/maintenance.js';
import type { Sql } from '../../core/db/sql.js';
import { insertEventRelaysCascade, insertRelayMetadataCascade, insertRelays } from '../../core/db/store.js';
import { buildMetadata, type MetadataType, type RelayMetadata } from '../../models/metadata.js';
import type { Relay, RelayUrl } from '../../models/relay.js';
import { generateEvents } from '../events.js';
import { seedPipelineState } from './pipeline-seed.js';

export const NOW = Math.floor(Date.now() / 1000);
export const HOUR = 3_600;
export const DAY = 86_400;

export const relay = (url: string, network: Relay['network'] = 'clearnet'): Relay => ({
  url: url as RelayUrl,
  network,
  discoveredAt: NOW - 90 * DAY,
});
export const ALPHA = relay('wss://alpha.example.com');
export const BETA = relay('wss://beta.example.org');
export const EVIL = relay('wss://evil.example.net');
export const ONION = relay(`ws://${'o'.repeat(56)}.onion`, 'tor');
export const QUIET = [relay('wss://quiet1.example.com'), relay('wss://quiet2.example.com')];
export const OVERLAYS = [
  relay(`ws://${'i'.repeat(52)}.b32.i2p`, 'i2p'),
  relay(`ws://${'l'.repeat(52)}.loki`, 'loki'),
  relay('ws://127.0.0.1:17700', 'local'),
];
// 17 NIPs in all, as in the demo farm: every one must get its labelled bar
export const ALPHA_NIPS = [1, 2, 4, 9, 11, 22, 28, 40, 42, 70, 77];
export const BETA_NIPS = [1, 11, 12, 15, 16, 20, 33];
export const EVIL_NIPS = [1, 86];
export const NIP_COUNT = new Set([...ALPHA_NIPS, ...BETA_NIPS, ...EVIL_NIPS]).size;
export const XSS_NAME = '<img src=x onerror="window.__xss=1">Evil';

function doc(r: Relay, type: MetadataType, value: unknown, generatedAt: number): RelayMetadata {
  return { relay: r, metadata: buildMetadata(type, value), generatedAt };
}
function rtt(open: number | null) {
  return open === null
    ? { data: {}, logs: { open_success: false, open_reason: 'timeout', read_success: false, write_success: false } }
    : {
        data: { rtt_open: open, rtt_read: open + 20, rtt_write: open + 40 },
        logs: { open_success: true, read_success: true, write_success: true },
      };
}

export async function seedDashboard(sql: Sql): Promise<void> {
  const rows: RelayMetadata[] = [];
  for (let i = 0; i < 24; i++) rows.push(doc(ALPHA, 'nip66_rtt', rtt(i % 7 === 3 ? null : 80 + i * 3), NOW - i * HOUR));
  for (let d = 1; d < 30; d++)
    rows.push(doc(ALPHA, 'nip66_rtt', rtt(d % 5 === 0 ? null : 90 + d), NOW - d * DAY - 600));
  rows.push(doc(BETA, 'nip66_rtt', rtt(null), NOW - 300), doc(EVIL, 'nip66_rtt', rtt(150), NOW - 400));
  const info = (data: Record<string, unknown>) => ({ data, logs: { success: true } });
  rows.push(
    doc(
      ALPHA,
      'nip11_info',
      info({
        name: 'Alpha Relay',
        description: 'A relay for the dashboard test.',
        software: 'git+https://github.com/hoytech/strfry.git',
        version: '1.0.4',
        supported_nips: ALPHA_NIPS,
        contact: 'admin@alpha.example.com',
      }),
      NOW - 200,
    ),
    doc(BETA, 'nip11_info', info({ name: 'Beta', software: 'nostr-rs-relay', supported_nips: BETA_NIPS }), NOW - 200),
    doc(EVIL, 'nip11_info', info({ name: XSS_NAME, software: 'khatru', supported_nips: EVIL_NIPS }), NOW - 200),
    // no geo check (as in the demo): the country is the one the relay announces
    doc(QUIET[0] as Relay, 'nip11_info', info({ name: 'Quiet', relay_countries: ['JP'] }), NOW - 200),
    doc(ALPHA, 'nip66_ssl', { data: { ssl_valid: true, ssl_issuer: "Let's Encrypt" }, logs: { success: true } }, NOW),
    doc(ALPHA, 'nip66_geo', { data: { geo_country: 'DE', geo_city: 'Berlin' }, logs: { success: true } }, NOW),
    doc(BETA, 'nip66_geo', { data: { geo_country: 'US' }, logs: { success: true } }, NOW),
  );
  await insertRelays(sql, [ONION, ...QUIET, ...OVERLAYS]);
  await insertRelayMetadataCascade(sql, rows);
  await seedPipeline(sql);
  const events = generateEvents(12, { seed: 3, kinds: [1, 7], createdAt: (i) => NOW - i * 5 * HOUR });
  await insertEventRelaysCascade(
    sql,
    events.map((event, i) => ({ event, relay: i % 3 === 0 ? BETA : ALPHA, seenAt: event.created_at + 1 })),
  );
  await refreshAllStatistics(sql);
}

/** Candidates (two failed by dns, one by tls), the synchronizer's state and two services' last cycles. */
async function seedPipeline(sql: Sql): Promise<void> {
  await seedPipelineState(sql, {
    now: NOW,
    candidatesAt: NOW - 900,
    failures: 1,
    cursors: { [ALPHA.url]: NOW - 120, [BETA.url]: NOW - 7_200 },
    statuses: {
      [ALPHA.url]: { complete: true, reason: null, resume_at: null, withheld: { '4': 12 }, updated_at: NOW - 120 },
      [BETA.url]: {
        complete: false,
        reason: 'rate-limited',
        resume_at: NOW - 7_200,
        withheld: {},
        updated_at: NOW - 60,
      },
    },
  });
  await recordLastCycle(sql, 'monitor', { started_at: NOW - 70, ended_at: NOW - 58, outcome: 'ok' });
  await recordLastCycle(sql, 'validator', {
    started_at: NOW - 40,
    ended_at: NOW - 39,
    outcome: 'failed',
    error: 'Error: database connection lost',
  });
}
