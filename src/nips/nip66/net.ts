/**
 * The NIP-66 `net` check ([NIP-66](https://github.com/nostr-protocol/nips/blob/master/66.md)): resolve the
 * host and look its first IPv4 and first IPv6 address up in the ASN database; the AS comes from the IPv4 match,
 * from the IPv6 one when there is none. The database reader is injected.
 */
import type { AsnRecord, GeoReaders } from '../../utils/geoip.js';
import { type ResolveHostOpts, resolveHost } from './geo.js';
import { type CheckResult, checkFailed, checkOk } from './types.js';

/** The `nip66_net` data fields (NIP wire names); unknown fields are omitted. */
export interface NetData {
  /** The first IPv4 address of the host. */
  net_ip?: string;
  /** The first IPv6 address of the host. */
  net_ipv6?: string;
  net_asn?: number;
  net_asn_org?: string;
  /** CIDR of the network matching the IPv4 address. */
  net_network?: string;
  /** CIDR of the network matching the IPv6 address. */
  net_network_v6?: string;
}

/** Options of `checkNet`. */
export interface NetCheckOpts extends ResolveHostOpts {
  readonly readers: GeoReaders;
}

/** Whether `checkNet` can run: an ASN database is configured (otherwise the monitor skips the check). */
export function canCheckNet(readers: GeoReaders): boolean {
  return readers.asn !== undefined;
}

/** Find the autonomous system of a clearnet host (or IP literal); never throws for network trouble. */
export async function checkNet(host: string, opts: NetCheckOpts): Promise<CheckResult<NetData>> {
  const asn = opts.readers.asn;
  // why: without a database there is nothing to measure; storing a failure would blame the relay.
  if (!asn) throw new Error('checkNet needs an ASN database (check canCheckNet first)');
  const addresses = await resolveHost(host, opts);
  if (!addresses.ok) return checkFailed(addresses.reason, {});
  const [ip, ipv6] = [addresses.v4[0], addresses.v6[0]];
  const v4 = ip === undefined ? undefined : asn(ip);
  const v6 = ipv6 === undefined ? undefined : asn(ipv6);
  if (!v4 && !v6) return checkFailed('not found', {});
  return checkOk(toNetData(ip, ipv6, v4, v6));
}

/** The wire fields from the addresses and their matches; the AS of the IPv4 match wins. */
export function toNetData(
  ip: string | undefined,
  ipv6: string | undefined,
  v4: AsnRecord | undefined,
  v6: AsnRecord | undefined,
): NetData {
  const data: NetData = {};
  if (ip !== undefined) data.net_ip = ip;
  if (ipv6 !== undefined) data.net_ipv6 = ipv6;
  const as = v4?.asn !== undefined ? v4 : v6;
  if (as?.asn !== undefined) data.net_asn = as.asn;
  if (as?.org !== undefined) data.net_asn_org = as.org;
  if (v4) data.net_network = v4.network;
  if (v6) data.net_network_v6 = v6.network;
  return data;
}
