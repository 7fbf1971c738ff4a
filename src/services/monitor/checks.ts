/**
 * One relay's checks: NIP-11 first, then RTT (with the proof of work NIP-11 asks for),
 * then SSL, DNS and HTTP in parallel; each under its retry policy, each only when computed and applicable
 * (SSL/DNS on clearnet; SSL on wss). Network trouble never throws: it is a failed check with a reason.
 */
import type { NetworksConfig } from '../../core/config/service.js';
import type { Relay } from '../../models/relay.js';
import { parseRelayUrl } from '../../models/relay-url.js';
import type { ConnectOpts } from '../../nips/nip01/connection.js';
import { networkConnectOpts } from '../../nips/nip01/network-opts.js';
import { fetchRelayInfo, type RelayInfo } from '../../nips/nip11.js';
import { checkDns, type DnsData, type DnsLookups } from '../../nips/nip66/dns.js';
import { canCheckGeo, checkGeo, type GeoData } from '../../nips/nip66/geo.js';
import { checkHttp, type HttpData, httpData } from '../../nips/nip66/http.js';
import { canCheckNet, checkNet, type NetData } from '../../nips/nip66/net.js';
import { checkRtt, type RttResult } from '../../nips/nip66/rtt.js';
import { checkSsl, type SslData } from '../../nips/nip66/ssl.js';
import { type CheckResult, checkFailed, checkOk } from '../../nips/nip66/types.js';
import type { EventSigner } from '../../nips/signer.js';
import type { GeoReaders } from '../../utils/geoip.js';
import { socksAgent } from '../../utils/net/proxy.js';
import type { Resolver } from '../../utils/net/resolve.js';
import type { MonitorConfig } from './config.js';
import { type RetryPolicy, withRetries } from './retry.js';

/** What one run learned about a relay (absent = not computed or not applicable). */
export interface RelayChecks {
  readonly nip11_info?: CheckResult<RelayInfo>;
  readonly nip66_rtt?: RttResult;
  readonly nip66_ssl?: CheckResult<SslData>;
  readonly nip66_dns?: CheckResult<DnsData>;
  readonly nip66_http?: CheckResult<HttpData>;
  readonly nip66_geo?: CheckResult<GeoData>;
  readonly nip66_net?: CheckResult<NetData>;
}

/** What the checks need besides the relay. */
export interface CheckDeps {
  readonly config: MonitorConfig;
  readonly signer: EventSigner;
  readonly resolver?: Resolver;
  /** GeoIP databases; a check whose database is missing is not computed. */
  readonly geo?: GeoReaders;
  /** DNS queries of the dns check (default: the system's DNS servers). */
  readonly dnsLookups?: DnsLookups;
  readonly signal: AbortSignal;
}

const okLogs = (r: { logs: { success: boolean } }): boolean => r.logs.success;

/** Run every computed check on one relay. */
export async function checkRelay(relay: Relay, deps: CheckDeps): Promise<RelayChecks> {
  const { config, signal } = deps;
  const compute = config.processing.compute;
  const retries = config.processing.retries as Record<keyof RelayChecks, RetryPolicy>;
  const net = (config.networks as NetworksConfig)[relay.network];
  const timeoutMs = net.timeout * 1000;
  const connect = connectOptsFor(relay, deps);
  const run = <T extends { logs: { success: boolean } }>(type: keyof RelayChecks, attempt: () => Promise<T>) =>
    withRetries(retries[type], attempt, okLogs, signal);

  // the RTT socket's upgrade response serves the HTTP check: one connection fewer per relay
  let upgradeHeaders: Readonly<Record<string, string>> | undefined;
  const nip11 = compute.nip11_info ? await run('nip11_info', () => nip11Check(relay, deps, timeoutMs)) : undefined;
  const minPow = nip11?.logs.success ? nip11.data.limitation?.min_pow_difficulty : undefined;
  const rtt = compute.nip66_rtt
    ? await withRetries(
        retries.nip66_rtt,
        () =>
          checkRtt(relay.url, {
            ...connect,
            signer: deps.signer,
            timeoutMs,
            ...(minPow ? { minPow } : {}),
            onOpen: (h) => {
              upgradeHeaders = h;
            },
          }),
        (r) => r.logs.open_success,
        signal,
      )
    : undefined;
  const parsed = parseRelayUrl(relay.url, { allowLocal: true });
  const host = parsed.ok ? parsed.value.host : '';
  const clearnet = relay.network === 'clearnet';
  const tls = parsed.ok && parsed.value.scheme === 'wss';
  const port = parsed.ok ? (parsed.value.port ?? 443) : 443;
  const readers = deps.geo ?? {};
  const allowLocal = config.networks.local.enabled;
  const located = { readers, timeoutMs, signal, allowLocal, ...(deps.resolver ? { resolver: deps.resolver } : {}) };
  const precision = config.geo.geohash_precision;
  const sslOpts = { timeoutMs, signal, allowLocal, ...(deps.resolver ? { resolver: deps.resolver } : {}) };
  const dnsOpts = { timeoutMs, signal, ...(deps.dnsLookups ? { lookups: deps.dnsLookups } : {}) };
  const [ssl, dns, http, geo, netInfo] = await Promise.all([
    compute.nip66_ssl && clearnet && tls ? run('nip66_ssl', () => checkSsl(host, port, sslOpts)) : undefined,
    compute.nip66_dns && clearnet ? run('nip66_dns', () => checkDns(host, dnsOpts)) : undefined,
    compute.nip66_http
      ? upgradeHeaders
        ? checkOk(httpData(upgradeHeaders))
        : run('nip66_http', () => checkHttp(relay.url, connect))
      : undefined,
    compute.nip66_geo && clearnet && canCheckGeo(readers)
      ? run('nip66_geo', () => checkGeo(host, { ...located, precision }))
      : undefined,
    compute.nip66_net && clearnet && canCheckNet(readers) ? run('nip66_net', () => checkNet(host, located)) : undefined,
  ]);
  return {
    ...(nip11 ? { nip11_info: nip11 } : {}),
    ...(rtt ? { nip66_rtt: rtt } : {}),
    ...(ssl ? { nip66_ssl: ssl } : {}),
    ...(dns ? { nip66_dns: dns } : {}),
    ...(http ? { nip66_http: http } : {}),
    ...(geo ? { nip66_geo: geo } : {}),
    ...(netInfo ? { nip66_net: netInfo } : {}),
  };
}

/** How the monitor opens a WebSocket to `relay` (its network's proxy and timeout, the local and TLS opt-ins). */
export function connectOptsFor(relay: Relay, deps: Omit<CheckDeps, 'signer'>): ConnectOpts {
  return networkConnectOpts(relay.network, deps.config.networks, {
    allowInsecure: deps.config.processing.allow_insecure,
    resolver: deps.resolver,
    signal: deps.signal,
  });
}

async function nip11Check(relay: Relay, deps: CheckDeps, timeoutMs: number): Promise<CheckResult<RelayInfo>> {
  const { config, signal } = deps;
  const net = config.networks[relay.network];
  const overlay = relay.network !== 'clearnet' && relay.network !== 'local';
  const opts = {
    maxBytes: config.processing.nip11_info_max_size,
    timeoutMs,
    allowLocal: config.networks.local.enabled,
    ...(overlay && net.proxy_url ? { agent: socksAgent(net.proxy_url) } : {}),
    ...(deps.resolver ? { resolver: deps.resolver } : {}),
    signal,
  };
  let r = await fetchRelayInfo(relay.url, opts);
  // the same opt-in as the WebSocket: retry once without certificate verification
  if (!r.ok && r.reason === 'tls' && config.processing.allow_insecure)
    r = await fetchRelayInfo(relay.url, { ...opts, insecure: true });
  return r.ok ? checkOk(r.value) : checkFailed(r.reason, {});
}
