/**
 * All seven checks through the monitor for a clearnet relay: its name resolves (by injection) to a TLS test
 * relay on 127.0.0.1, DNS answers come from injected lookups, and GeoIP from MMDB files written for the test.
 * Nothing leaves the machine.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { verifyEvent } from 'nostr-tools/pure';
import { describe, expect, it } from 'vitest';
import { insertRelays } from '../../core/db/store.js';
import type { RelayUrl } from '../../models/relay.js';
import type { DnsLookups } from '../../nips/nip66/dns.js';
import { createSigner } from '../../nips/signer.js';
import { artifactDir } from '../../testing/artifacts.js';
import { createTestCertificate } from '../../testing/certs.js';
import { generateEvents, testSecretKey } from '../../testing/events.js';
import { mmdbTyped, writeMmdb } from '../../testing/mmdb-writer.js';
import { startTestRelay } from '../../testing/relay/relay.js';
import { recordingDeps } from '../../testing/service-deps.js';
import { useTestDatabase } from '../../testing/vitest/db.js';
import { openGeoReaders } from '../../utils/geoip.js';
import type { Resolver } from '../../utils/net/resolve.js';
import { monitorConfigSchema } from './config.js';
import { createMonitor } from './monitor.js';

const db = useTestDatabase('bigbrotr');

const lookups: DnsLookups = {
  resolve4: async () => [{ address: '127.0.0.1', ttl: 300 }],
  resolve6: async () => [],
  resolveCname: async () => ['edge.example.net'],
  resolveNs: async () => ['ns1.example.com', 'ns2.example.com'],
  reverse: async () => ['localhost'],
};

async function geoFiles(dir: string) {
  const city = writeMmdb(
    [
      {
        network: '127.0.0.0/8',
        data: {
          city: { geoname_id: 2950159, names: { en: 'Berlin' } },
          continent: { code: 'EU', geoname_id: 6255148, names: { en: 'Europe' } },
          country: { geoname_id: 2921044, is_in_european_union: true, iso_code: 'DE', names: { en: 'Germany' } },
          location: {
            accuracy_radius: mmdbTyped('uint16', 20),
            latitude: 52.0,
            longitude: 13.405,
            time_zone: 'Europe/Berlin',
          },
        },
      },
    ],
    { databaseType: 'GeoLite2-City' },
  );
  const asn = writeMmdb(
    [
      {
        network: '127.0.0.0/8',
        data: { autonomous_system_number: mmdbTyped('uint32', 64500), autonomous_system_organization: 'Example Net' },
      },
    ],
    { databaseType: 'GeoLite2-ASN' },
  );
  await writeFile(join(dir, 'city.mmdb'), city);
  await writeFile(join(dir, 'asn.mmdb'), asn);
  return openGeoReaders({ cityPath: join(dir, 'city.mmdb'), asnPath: join(dir, 'asn.mmdb') });
}

describe('monitor on a clearnet relay', () => {
  it('runs and stores nip11, rtt, ssl, dns, geo, net and http, and publishes them in the 30166', async () => {
    await using relay = await startTestRelay({
      events: generateEvents(2),
      tls: await createTestCertificate(),
      info: { name: 'tls relay', supported_nips: [1, 11] },
      upgradeHeaders: { server: 'strfry' },
    });
    await using sink = await startTestRelay({ info: { supported_nips: [1] } });
    const url = `wss://relay.example.com:${relay.port}` as RelayUrl;
    await insertRelays(db.sql, [{ url, network: 'clearnet', discoveredAt: 1 }]);
    const resolver: Resolver = async () => [{ address: '127.0.0.1', family: 4 }];
    const geo = await geoFiles(await artifactDir('bb-geo-'));
    const config = monitorConfigSchema.parse({
      // local enabled: the test name resolves to loopback; insecure: the certificate is not for that name
      networks: { clearnet: { timeout: 3 }, local: { enabled: true } },
      processing: { allow_insecure: true, probes: false },
      geo: { city_database_path: 'city.mmdb', asn_database_path: 'asn.mmdb' },
      publishing: { relays: [sink.url] },
    });
    const signer = createSigner(testSecretKey(5, 5));
    const deps = { ...recordingDeps(db.sql, { now: () => 50_000 }), signer, resolver, geo, dnsLookups: lookups };
    await createMonitor(deps, config).cycle(new AbortController().signal);

    const rows = await db.sql<
      { metadata_type: string; data: { data?: Record<string, unknown>; logs: Record<string, unknown> } }[]
    >`
      SELECT rm.metadata_type, m.data FROM relay_metadata rm
      JOIN metadata m ON m.id = rm.metadata_id AND m.type = rm.metadata_type WHERE rm.relay_url = ${url}`;
    const doc = Object.fromEntries(rows.map((r) => [r.metadata_type, r.data]));
    expect(Object.keys(doc).sort()).toEqual([
      'nip11_info',
      'nip66_dns',
      'nip66_geo',
      'nip66_http',
      'nip66_net',
      'nip66_rtt',
      'nip66_ssl',
    ]);
    for (const type of ['nip11_info', 'nip66_dns', 'nip66_geo', 'nip66_http', 'nip66_net', 'nip66_ssl']) {
      expect(doc[type]?.logs, type).toEqual({ success: true });
    }
    expect(doc.nip66_rtt?.logs).toEqual({ open_success: true, read_success: true, write_success: true });
    expect(doc.nip66_ssl?.data).toMatchObject({
      ssl_valid: false,
      ssl_protocol: expect.stringMatching(/^TLSv1\.[23]$/),
    });
    expect(doc.nip66_dns?.data).toEqual({
      dns_ips: ['127.0.0.1'],
      dns_ttl: 300,
      dns_cname: 'edge.example.net',
      dns_ns: ['ns1.example.com', 'ns2.example.com'],
      dns_reverse: 'localhost',
    });
    expect(doc.nip66_geo?.data).toMatchObject({ geo_country: 'DE', geo_city: 'Berlin', geo_lat: 52, geo_lon: 13.405 });
    expect(doc.nip66_net?.data).toMatchObject({ net_ip: '127.0.0.1', net_asn: 64500, net_asn_org: 'Example Net' });
    // the geo document keeps 52.0 a float, as the reference hashes it
    const [raw] = await db.sql`SELECT m.data::text AS t FROM metadata m WHERE m.type = 'nip66_geo'`;
    expect(String(raw?.t)).toContain('"geo_lat": 52.0');

    const [event] = sink.store.all().filter((e) => e.kind === 30166);
    expect(event && verifyEvent({ ...event, tags: event.tags.map((t) => [...t]) })).toBe(true);
    const names = new Set(event?.tags.map((t) => t[0]));
    for (const tag of [
      'rtt-open',
      'ssl',
      'ssl-expires',
      'net-ip',
      'net-asn',
      'g',
      'geo-country',
      'geo-city',
      'geo-lat',
      'dns-ip',
      'dns-ttl',
      'http-server',
    ]) {
      expect(names.has(tag), tag).toBe(true);
    }
    expect(event?.tags).toContainEqual(['ssl', '!valid']);
    expect(event?.tags).toContainEqual(['geo-lat', '52.0']);
    expect(event?.tags).toContainEqual(['geo-lon', '13.405']);
  });
});
