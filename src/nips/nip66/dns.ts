/**
 * The NIP-66 `dns` check ([NIP-66](https://github.com/nostr-protocol/nips/blob/master/66.md)): A (with
 * TTL), AAAA, CNAME of the host, NS of its registered domain and PTR of its first IPv4 address. The lookups are
 * injected (`DnsLookups`); the default asks the system's or the given DNS servers through c-ares.
 */
import { Resolver as DnsResolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import { getDomain } from 'tldts';
import { withDeadline } from '../../utils/deadline.js';
import { reasonOfError } from '../../utils/net/reasons.js';
import { type CheckResult, checkFailed, checkOk } from './types.js';

/** The `nip66_dns` data fields (NIP wire names); a record type without records is omitted. */
export interface DnsData {
  /** IPv4 addresses (A), sorted. */
  dns_ips?: string[];
  /** IPv6 addresses (AAAA), sorted. */
  dns_ips_v6?: string[];
  /** The first CNAME of the host. */
  dns_cname?: string;
  /** The first PTR name of the first (sorted) IPv4 address, or of the IP literal host. */
  dns_reverse?: string;
  /** Name servers of the registered domain, sorted. */
  dns_ns?: string[];
  /** The smallest TTL of the A records, seconds. */
  dns_ttl?: number;
}

/** An IPv4 address with the TTL of its record. */
export interface AddressTtl {
  readonly address: string;
  readonly ttl: number;
}

/** Signal of one lookup. */
export interface LookupOpts {
  readonly signal?: AbortSignal;
}

/** The DNS queries the check makes; each rejects with a c-ares style `code` (`ENODATA`, `ENOTFOUND`, …). */
export interface DnsLookups {
  resolve4(host: string, opts: LookupOpts): Promise<readonly AddressTtl[]>;
  resolve6(host: string, opts: LookupOpts): Promise<readonly string[]>;
  resolveCname(host: string, opts: LookupOpts): Promise<readonly string[]>;
  resolveNs(domain: string, opts: LookupOpts): Promise<readonly string[]>;
  reverse(ip: string, opts: LookupOpts): Promise<readonly string[]>;
}

/** Options of `createDnsLookups`. */
export interface DnsLookupsOpts {
  /** DNS servers (`'1.1.1.1'`, `'127.0.0.1:5353'`); default the system's configured ones. */
  readonly servers?: readonly string[];
  /** Timeout of one query, milliseconds (one try per server); default 5,000. */
  readonly timeoutMs?: number;
}

/** `DnsLookups` over node's `dns.promises.Resolver` (c-ares), one channel per query so an abort cancels only it. */
export function createDnsLookups(opts: DnsLookupsOpts = {}): DnsLookups {
  const timeout = opts.timeoutMs ?? 5_000;
  const probe = new DnsResolver({ timeout, tries: 1 });
  if (opts.servers) probe.setServers([...opts.servers]); // throws here when a server is malformed
  const servers = probe.getServers();
  const query = async <T>(signal: AbortSignal | undefined, run: (r: DnsResolver) => Promise<T>): Promise<T> => {
    const channel = new DnsResolver({ timeout, tries: 1 });
    channel.setServers(servers);
    const onAbort = (): void => channel.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await run(channel);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  };
  return {
    resolve4: (host, { signal }) => query(signal, (r) => r.resolve4(host, { ttl: true })),
    resolve6: (host, { signal }) => query(signal, (r) => r.resolve6(host)),
    resolveCname: (host, { signal }) => query(signal, (r) => r.resolveCname(host)),
    resolveNs: (domain, { signal }) => query(signal, (r) => r.resolveNs(domain)),
    reverse: (ip, { signal }) => query(signal, (r) => r.reverse(ip)),
  };
}

/** Options of `checkDns`. */
export interface DnsCheckOpts {
  /** Default: `createDnsLookups()` (the system's DNS servers). */
  readonly lookups?: DnsLookups;
  /** Deadline of the whole check, milliseconds; default 10,000. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** The default deadline of the check: 10 s. */
export const DEFAULT_DNS_TIMEOUT_MS = 10_000;

/** Look up the DNS records of a clearnet host (or the PTR of an IP literal); never throws for network trouble. */
export async function checkDns(host: string, opts: DnsCheckOpts = {}): Promise<CheckResult<DnsData>> {
  using deadline = withDeadline(opts.timeoutMs ?? DEFAULT_DNS_TIMEOUT_MS, opts.signal);
  const signal = deadline.signal;
  const lookups = opts.lookups ?? createDnsLookups();
  const name = host
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '')
    .toLowerCase();
  const data = isIP(name) !== 0 ? await lookupAddress(name, lookups, signal) : await lookupName(name, lookups, signal);
  if (signal.aborted) return checkFailed('timeout', {});
  return 'reason' in data ? checkFailed(data.reason, {}) : checkOk(data);
}

/** An IP literal: itself as its address, and its PTR. */
async function lookupAddress(ip: string, lookups: DnsLookups, signal: AbortSignal): Promise<DnsData> {
  const data: DnsData = isIP(ip) === 4 ? { dns_ips: [ip] } : { dns_ips_v6: [ip] };
  const ptr = await settle(lookups.reverse(ip, { signal }), signal);
  if (ptr.values[0]) data.dns_reverse = ptr.values[0];
  return data;
}

/** A host name: every record type in parallel, then the PTR of the first IPv4 address; a reason without A/AAAA. */
async function lookupName(
  host: string,
  lookups: DnsLookups,
  signal: AbortSignal,
): Promise<DnsData | { reason: 'dns' | 'timeout' }> {
  const domain = getDomain(host);
  const [v4, v6, cname, ns] = await Promise.all([
    settle(lookups.resolve4(host, { signal }), signal),
    settle(lookups.resolve6(host, { signal }), signal),
    settle(lookups.resolveCname(host, { signal }), signal),
    domain ? settle(lookups.resolveNs(domain, { signal }), signal) : { values: [] },
  ]);
  const ips = sortedUnique(v4.values.map((a) => a.address));
  const ipsV6 = sortedUnique(v6.values);
  if (ips.length === 0 && ipsV6.length === 0) {
    // why: a DNS server that never answered is a timeout, not proof that the name has no address.
    const timedOut = [v4.error, v6.error].some((e) => e !== undefined && reasonOfError(e) === 'timeout');
    return { reason: timedOut ? 'timeout' : 'dns' };
  }
  const data: DnsData = {};
  if (ips.length > 0) data.dns_ips = ips;
  const ttls = v4.values.map((a) => a.ttl).filter((t) => Number.isInteger(t) && t >= 0);
  if (ttls.length > 0) data.dns_ttl = Math.min(...ttls);
  if (ipsV6.length > 0) data.dns_ips_v6 = ipsV6;
  if (cname.values[0]) data.dns_cname = cname.values[0];
  const nameServers = sortedUnique(ns.values);
  if (nameServers.length > 0) data.dns_ns = nameServers;
  const firstIp = ips[0];
  if (firstIp !== undefined) {
    const ptr = await settle(lookups.reverse(firstIp, { signal }), signal);
    if (ptr.values[0]) data.dns_reverse = ptr.values[0];
  }
  return data;
}

/** The records of one lookup, or none and the error. */
interface Outcome<T> {
  readonly values: readonly T[];
  readonly error?: unknown;
}

/**
 * Settle one lookup: a missing record type or a failed query just omits the field (the caller turns an abort into
 * `timeout`). Also settles on abort, for lookups that ignore their signal.
 */
async function settle<T>(lookup: Promise<readonly T[]>, signal: AbortSignal): Promise<Outcome<T>> {
  const caught = lookup.then(
    (values): Outcome<T> => ({ values }),
    (error: unknown): Outcome<T> => ({ values: [], error }),
  );
  const aborted: Outcome<T> = { values: [], error: signal.reason };
  if (signal.aborted) return aborted;
  let onAbort = (): void => undefined;
  const abort = new Promise<Outcome<T>>((resolve) => {
    onAbort = () => resolve(aborted);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([caught, abort]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

function sortedUnique(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}
