/**
 * The kind 30166 relay discovery event (NIP-66): one per checked relay, tags from every check that
 * produced data, requirements and types derived from what was observed before what NIP-11 advertises.
 */
import { canonicalJson, pyFloatRepr } from '../../models/canonical-json.js';
import { messagePrefix, reasonOfRefusal } from '../nip01/messages.js';
import type { RelayInfo } from '../nip11.js';
import type { EventTemplate } from '../signer.js';
import type { DnsData } from './dns.js';
import type { GeoData } from './geo.js';
import type { HttpData } from './http.js';
import type { NetData } from './net.js';
import type { RttResult } from './rtt.js';
import type { SslData } from './ssl.js';

/** The kind of relay discovery events. */
export const DISCOVERY_KIND = 30166;

/** What a monitor learned about one relay in one run (absent = not computed or not included). */
export interface RelayObservation {
  readonly url: string;
  readonly network: string;
  readonly nip11?: RelayInfo;
  readonly rtt?: RttResult;
  readonly ssl?: SslData;
  readonly dns?: DnsData;
  readonly geo?: GeoData;
  readonly net?: NetData;
  readonly http?: HttpData;
}

type Tag = string[];

const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v !== '' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined;

/** `[name, value]` when the value is present, as a string. */
function field(name: string, value: unknown): Tag[] {
  const s = str(value);
  return s === undefined ? [] : [[name, s]];
}

function list(name: string, values: unknown): Tag[] {
  return Array.isArray(values) ? values.flatMap((v) => field(name, v)) : [];
}

function rttTags(rtt: RttResult | undefined): Tag[] {
  if (!rtt) return [];
  return [
    ...field('rtt-open', rtt.data.rtt_open),
    ...field('rtt-read', rtt.data.rtt_read),
    ...field('rtt-write', rtt.data.rtt_write),
  ];
}

function sslTags(ssl: SslData | undefined): Tag[] {
  if (!ssl || typeof ssl.ssl_valid !== 'boolean') return [];
  return [
    ['ssl', ssl.ssl_valid ? 'valid' : '!valid'],
    ...field('ssl-expires', ssl.ssl_expires),
    ...field('ssl-issuer', ssl.ssl_issuer),
  ];
}

function netTags(net: NetData | undefined): Tag[] {
  if (!net) return [];
  const asn = str(net.net_asn);
  const org = str(net.net_asn_org);
  return [
    ...field('net-ip', net.net_ip),
    ...field('net-ipv6', net.net_ipv6),
    ...(asn
      ? [
          ['net-asn', asn],
          ['l', asn, 'IANA-asn'],
        ]
      : []),
    ...(org
      ? [
          ['net-asn-org', org],
          ['l', org, 'IANA-asn-org'],
        ]
      : []),
  ];
}

function geoTags(geo: GeoData | undefined): Tag[] {
  if (!geo) return [];
  const cc = str(geo.geo_country);
  return [
    ...field('g', geo.geo_hash),
    ...(cc
      ? [
          ['geo-country', cc],
          ['l', cc, 'ISO-3166-1'],
        ]
      : []),
    ...field('geo-city', geo.geo_city),
    // floats as the reference prints them (str(52.0) is "52.0")
    ...field('geo-lat', geo.geo_lat === undefined ? undefined : pyFloatRepr(geo.geo_lat)),
    ...field('geo-lon', geo.geo_lon === undefined ? undefined : pyFloatRepr(geo.geo_lon)),
    ...field('geo-tz', geo.geo_tz),
  ];
}

function dnsTags(dns: DnsData | undefined): Tag[] {
  if (!dns) return [];
  return [
    ...list('dns-ip', dns.dns_ips),
    ...list('dns-ip6', dns.dns_ips_v6),
    ...field('dns-cname', dns.dns_cname),
    ...field('dns-ttl', dns.dns_ttl),
  ];
}

function nip11Tags(info: RelayInfo | undefined): Tag[] {
  if (!info) return [];
  return [
    ...(info.supported_nips ?? []).map((n) => ['N', String(n)]),
    ...list('t', info.tags),
    ...(info.language_tags ?? []).map((l) => ['l', l, 'ISO-639-1']),
  ];
}

/** Requirements and types, trusting observation over advertisement. */
export function requirementTags(o: RelayObservation): Tag[] {
  const limits = o.nip11?.limitation ?? {};
  const wrote = o.rtt?.logs.write_success === true;
  const why = o.rtt?.logs.write_reason ?? '';
  const failedWrite = o.rtt?.logs.open_success === true && !wrote;
  const refusal = failedWrite ? reasonOfRefusal(why) : undefined;
  const restricted = failedWrite && messagePrefix(why) === 'restricted' && refusal !== 'payment-required';
  // a write refused for auth, payment or restriction decides all three; otherwise NIP-11's flags do
  const observed = refusal === 'auth-required' || refusal === 'payment-required' || restricted;
  const decide = (seen: boolean, advertised: boolean | undefined): boolean =>
    wrote ? false : observed ? seen : advertised === true;
  const auth = decide(refusal === 'auth-required', limits.auth_required);
  const payment = decide(refusal === 'payment-required', limits.payment_required);
  const writes = decide(restricted, limits.restricted_writes);
  const pow = (limits.min_pow_difficulty ?? 0) > 0;
  const readAuth = o.rtt?.logs.read_reason === 'auth-required';
  const nips = new Set(o.nip11?.supported_nips ?? []);
  const types = [
    ...(nips.has(50) ? ['Search'] : []),
    ...(nips.has(29) ? ['Community'] : []),
    ...(nips.has(95) ? ['Blob'] : []),
    ...(payment ? ['Paid'] : []),
    readAuth
      ? writes || auth
        ? 'PrivateStorage'
        : 'PrivateInbox'
      : auth || writes || payment
        ? 'PublicOutbox'
        : 'PublicInbox',
  ];
  return [
    ['R', auth ? 'auth' : '!auth'],
    ['R', payment ? 'payment' : '!payment'],
    ['R', writes ? 'writes' : '!writes'],
    ['R', pow ? 'pow' : '!pow'],
    ...types.map((t) => ['T', t]),
  ];
}

/** The 30166 template for one observation (sign it with the monitor key). */
export function buildDiscoveryEvent(o: RelayObservation, createdAt: number): EventTemplate {
  const tags: Tag[] = [
    ['d', o.url],
    ['n', o.network],
    ...rttTags(o.rtt),
    ...sslTags(o.ssl),
    ...netTags(o.net),
    ...geoTags(o.geo),
    ...dnsTags(o.dns),
    ...field('http-server', o.http?.http_server),
    ...field('http-powered-by', o.http?.http_powered_by),
    ...nip11Tags(o.nip11),
    ...requirementTags(o),
  ];
  return { kind: DISCOVERY_KIND, created_at: createdAt, tags, content: o.nip11 ? canonicalJson(o.nip11) : '' };
}
