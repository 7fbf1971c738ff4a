import { verifyEvent } from 'nostr-tools/pure';
import { describe, expect, it } from 'vitest';
import { testSecretKey } from '../../testing/events.js';
import { parseRelayInfo } from '../nip11.js';
import { createSigner } from '../signer.js';
import { buildDiscoveryEvent, type RelayObservation, requirementTags } from './discovery.js';
import type { RttResult } from './rtt.js';

const ok: RttResult = {
  data: { rtt_open: 12, rtt_read: 30, rtt_write: 41 },
  logs: { open_success: true, read_success: true, write_success: true },
};
const refused = (reason: string): RttResult => ({
  data: { rtt_open: 12, rtt_read: 30 },
  logs: { open_success: true, read_success: true, write_success: false, write_reason: reason },
});

const full: RelayObservation = {
  url: 'wss://relay.example.com',
  network: 'clearnet',
  nip11: parseRelayInfo({ name: 'x', supported_nips: [1, 11, 50], tags: ['sfw'], language_tags: ['en'] }),
  rtt: ok,
  ssl: { ssl_valid: true, ssl_expires: 1_800_000_000, ssl_issuer: "Let's Encrypt" },
  dns: { dns_ips: ['93.184.216.34'], dns_ips_v6: ['2606:2800::1'], dns_cname: 'edge.example.net', dns_ttl: 300 },
  geo: {
    geo_hash: 'u4pruydqq',
    geo_country: 'DE',
    geo_city: 'Berlin',
    geo_lat: 52.52,
    geo_lon: 13.405,
    geo_tz: 'Europe/Berlin',
  },
  net: { net_ip: '93.184.216.34', net_ipv6: '2606:2800::1', net_asn: 15133, net_asn_org: 'Edgecast' },
  http: { http_server: 'strfry', http_powered_by: 'nostr' },
};

describe('kind 30166', () => {
  it('carries every observed field as string tags, in order, with the NIP-11 document as content', () => {
    const t = buildDiscoveryEvent(full, 1_700_000_000);
    expect(t.kind).toBe(30166);
    expect(t.content).toBe('{"language_tags":["en"],"name":"x","supported_nips":[1,11,50],"tags":["sfw"]}');
    expect(t.tags).toEqual([
      ['d', 'wss://relay.example.com'],
      ['n', 'clearnet'],
      ['rtt-open', '12'],
      ['rtt-read', '30'],
      ['rtt-write', '41'],
      ['ssl', 'valid'],
      ['ssl-expires', '1800000000'],
      ['ssl-issuer', "Let's Encrypt"],
      ['net-ip', '93.184.216.34'],
      ['net-ipv6', '2606:2800::1'],
      ['net-asn', '15133'],
      ['l', '15133', 'IANA-asn'],
      ['net-asn-org', 'Edgecast'],
      ['l', 'Edgecast', 'IANA-asn-org'],
      ['g', 'u4pruydqq'],
      ['geo-country', 'DE'],
      ['l', 'DE', 'ISO-3166-1'],
      ['geo-city', 'Berlin'],
      ['geo-lat', '52.52'],
      ['geo-lon', '13.405'],
      ['geo-tz', 'Europe/Berlin'],
      ['dns-ip', '93.184.216.34'],
      ['dns-ip6', '2606:2800::1'],
      ['dns-cname', 'edge.example.net'],
      ['dns-ttl', '300'],
      ['http-server', 'strfry'],
      ['http-powered-by', 'nostr'],
      ['N', '1'],
      ['N', '11'],
      ['N', '50'],
      ['t', 'sfw'],
      ['l', 'en', 'ISO-639-1'],
      ['R', '!auth'],
      ['R', '!payment'],
      ['R', '!writes'],
      ['R', '!pow'],
      ['T', 'Search'],
      ['T', 'PublicInbox'],
    ]);
    const signed = createSigner(testSecretKey(1, 1)).sign(t);
    expect(verifyEvent({ ...signed, tags: signed.tags.map((x) => [...x]) })).toBe(true);
  });

  it('has only d, n and requirements when nothing else was computed, and empty content without NIP-11', () => {
    const t = buildDiscoveryEvent({ url: 'ws://x.onion', network: 'tor' }, 1);
    expect(t.content).toBe('');
    expect(t.tags.slice(0, 2)).toEqual([
      ['d', 'ws://x.onion'],
      ['n', 'tor'],
    ]);
    expect(t.tags.slice(2).every((tag) => tag[0] === 'R' || tag[0] === 'T')).toBe(true);
  });
});

describe('requirements: observed over advertised', () => {
  const advertised = parseRelayInfo({
    limitation: { auth_required: true, payment_required: true, restricted_writes: true, min_pow_difficulty: 10 },
  });
  const req = (o: Partial<RelayObservation>) =>
    requirementTags({ url: 'wss://r.example.com', network: 'clearnet', ...o }).map((t) => t[1]);

  it('a verified write clears auth, payment and writes whatever NIP-11 claims', () => {
    expect(req({ nip11: advertised, rtt: ok })).toEqual(['!auth', '!payment', '!writes', 'pow', 'PublicInbox']);
  });

  it("a refused write's reason decides", () => {
    expect(req({ nip11: advertised, rtt: refused('auth-required: sign in') })).toEqual([
      'auth',
      '!payment',
      '!writes',
      'pow',
      'PublicOutbox',
    ]);
    expect(req({ rtt: refused('restricted: paid relay') })).toEqual([
      '!auth',
      'payment',
      '!writes',
      '!pow',
      'Paid',
      'PublicOutbox',
    ]);
    expect(req({ rtt: refused('restricted: members only') })).toEqual([
      '!auth',
      '!payment',
      'writes',
      '!pow',
      'PublicOutbox',
    ]);
  });

  it('otherwise NIP-11 flags decide; reads needing auth make it private', () => {
    expect(req({ nip11: advertised, rtt: refused('rate-limited: later') })).toEqual([
      'auth',
      'payment',
      'writes',
      'pow',
      'Paid',
      'PublicOutbox',
    ]);
    const readAuth: RttResult = {
      data: {},
      logs: {
        open_success: true,
        read_success: false,
        read_reason: 'auth-required',
        write_success: false,
        write_reason: 'auth-required: x',
      },
    };
    expect(req({ rtt: readAuth })).toEqual(['auth', '!payment', '!writes', '!pow', 'PrivateStorage']);
  });
});
